"""Helpers for the operations tests: captured log lines, metric samples, free ports, a TCP proxy."""

import json
import select
import socket
import threading
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

PORT_RANGE = range(8200, 8250)
"""The ports these tests may bind on 127.0.0.1."""


def free_port() -> int:
    """Return a port of PORT_RANGE that nothing listens on now."""
    for port in PORT_RANGE:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")


class LogLines:
    """The JSON log lines written to standard error while a test runs."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.lines: list[str] = []

    def read(self) -> list[dict[str, Any]]:
        """Return every line logged so far, each parsed as one JSON object."""
        self.lines.extend(
            line for line in self.capsys.readouterr().err.splitlines() if line
        )
        return [json.loads(line) for line in self.lines]

    def events(self, name: str, **fields: Any) -> list[dict[str, Any]]:
        """Return the logged events called `name` whose fields include `fields`."""
        return [
            event
            for event in self.read()
            if event.get("event") == name
            and all(event.get(key) == value for key, value in fields.items())
        ]


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> LogLines:
    capsys.readouterr()
    return LogLines(capsys)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    """Index the samples of a Prometheus text exposition by name and labels."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def sample(samples: Samples, name: str, **labels: str) -> float:
    """Return one sample's value; a series that was never created counts 0."""
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return parse_metrics(response.text)


class TcpProxy:
    """Forward 127.0.0.1:`port` to `target`; `stop` drops the listener and every open connection."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port = port
        self.target = target
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        self._spawn(self._accept, listener)

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # close() alone does not wake a thread blocked in accept() on Linux.
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout=5)

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self._listener is not listener:
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)

    @staticmethod
    def _pump(left: socket.socket, right: socket.socket) -> None:
        peers = {left: right, right: left}
        try:
            while True:
                readable, _, _ = select.select(list(peers), [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            left.close()
            right.close()
