"""`casedesk serve` as a child process: graceful stop on SIGTERM, metrics over several workers."""

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from app import cli
from app.cli import build_parser
from app.db import Database
from app.domain.vocabulary import Tier, Tier1Kind
from app.settings import Settings
from tests.factories import AgentLogin, create_login, profile_body
from tests.ops.conftest import free_port, parse_metrics, sample

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONCURRENT_REQUESTS = 6
WAIT = 180.0
"""Upper bound for each wait on the server, generous for a loaded machine; a healthy run takes seconds."""


class ServerProcess:
    """`casedesk serve` in a child process, with its log lines collected as they come."""

    def __init__(self, settings: Settings, port: int, *options: str) -> None:
        env = {
            **os.environ,
            "CASEDESK_DATABASE_URL": settings.database_url,
            "CASEDESK_LOG_FORMAT": "json",
            "CASEDESK_SHUTDOWN_GRACE": "60",
        }
        self.port = port
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "serve",
                "--port",
                str(port),
                "--no-migrate",
                *options,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        assert self.process.stderr is not None
        self._reader = threading.Thread(
            target=self._read, args=(self.process.stderr,), daemon=True
        )
        self._reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            try:
                self.lines.put(json.loads(raw))
            except ValueError:
                self.lines.put({"event": raw.decode(errors="replace").rstrip()})

    def wait_for_log(self, event: str, count: int = 1) -> dict[str, Any]:
        """Return the `count`th log line called `event`, reading on until it arrives."""
        found = [seen for seen in self.seen if seen.get("event") == event]
        if len(found) >= count:
            return found[count - 1]
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if line.get("event") == event:
                found.append(line)
                if len(found) == count:
                    return line
        raise AssertionError(f"no '{event}' log line; the server wrote {self.seen}")

    def drain(self) -> list[dict[str, Any]]:
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return self.seen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)
        self._reader.join(timeout=WAIT)
        assert self.process.stderr is not None
        self.process.stderr.close()


def _get_when_listening(url: str) -> httpx.Response:
    """GET `url`, retrying while nothing listens yet: uvicorn opens its socket after startup."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return httpx.get(url, timeout=WAIT)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _refuses_connections(url: str) -> bool:
    """Return True once connecting to `url` is refused; uvicorn closes its socket just after logging."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=WAIT)
        except httpx.ConnectError:
            return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False


@pytest.fixture
def server(settings: Settings) -> Iterator[ServerProcess]:
    process = ServerProcess(settings, free_port())
    yield process
    process.stop()


@pytest.fixture
def login(settings: Settings) -> AgentLogin:
    db = Database(settings.database_url)
    try:
        return create_login(
            db,
            datetime.now(UTC),
            tier=Tier.tier1,
            kind=Tier1Kind.social_media,
            token_ttl=timedelta(days=1),
        )
    finally:
        db.dispose()


def _start_request(
    port: int, login: AgentLogin, number: int
) -> tuple[socket.socket, bytes]:
    """Send a create-profile request up to its body, and wait until the app reads the body."""
    body = json.dumps(profile_body()).encode()
    head = (
        "POST /profiles HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {login.token}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: shutdown-{number}\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    connection = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    connection.sendall(head.encode())
    # The server sends 100 Continue only once the application reads the body,
    # so after this the request is in flight inside the application.
    interim = connection.recv(1024)
    assert interim.startswith(b"HTTP/1.1 100 "), interim
    return connection, body


def _finish_request(connection: socket.socket, body: bytes) -> tuple[int, bytes]:
    connection.sendall(body)
    response = b""
    while chunk := connection.recv(65536):
        response += chunk
    connection.close()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest


@pytest.mark.slow
def test_sigterm_lets_requests_finish(server: ServerProcess, login: AgentLogin) -> None:
    server.wait_for_log("Application startup complete.")
    ready = _get_when_listening(f"http://127.0.0.1:{server.port}/health/ready")
    assert ready.status_code == 200
    pending = [
        _start_request(server.port, login, number)
        for number in range(CONCURRENT_REQUESTS)
    ]

    server.process.send_signal(signal.SIGTERM)
    server.wait_for_log("Shutting down")
    assert _refuses_connections(f"http://127.0.0.1:{server.port}/health/live")
    results = [_finish_request(connection, body) for connection, body in pending]
    exit_code = server.process.wait(timeout=WAIT)

    assert [status for status, _ in results] == [201] * CONCURRENT_REQUESTS
    for _, rest in results:
        assert b"connection: close" in rest.lower()
        assert b'"id":' in rest
    # uvicorn raises the signal again once it has shut down, so the exit status
    # shows that SIGTERM ended the process, as it does for any program stopped that way.
    assert exit_code in (0, -signal.SIGTERM)
    events = server.drain()
    names = [event.get("event") for event in events]
    for number in range(CONCURRENT_REQUESTS):
        [line] = [
            event
            for event in events
            if event.get("event") == "request.completed"
            and event.get("request_id") == f"shutdown-{number}"
        ]
        assert line["status"] == 201
        assert line["agent_id"] == login.id
        assert names.index("server.stopping") > events.index(line)
    assert "server.stopped" in names
    assert not [event for event in events if event.get("level") == "error"]


def test_serve_passes_shutdown_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    captured: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: captured.update(kwargs))
    monkeypatch.setenv("CASEDESK_SHUTDOWN_GRACE", "7.2")
    from app import cli

    cli.get_settings.cache_clear()
    try:
        args = build_parser().parse_args(["serve", "--no-migrate"])
        assert args.handler(args) == 0
    finally:
        cli.get_settings.cache_clear()

    assert captured["timeout_graceful_shutdown"] == 8
    assert captured["factory"] is True


@pytest.mark.slow
def test_metrics_add_up_workers(settings: Settings) -> None:
    workers = 2
    server = ServerProcess(settings, free_port(), "--workers", str(workers))
    try:
        server.wait_for_log("server.started", count=workers)
        base = f"http://127.0.0.1:{server.port}"
        assert _get_when_listening(f"{base}/health/ready").status_code == 200
        for _ in range(20):
            # A new connection per request, so any worker may accept it.
            assert httpx.get(f"{base}/health/live", timeout=WAIT).status_code == 200
        scrapes = [
            parse_metrics(httpx.get(f"{base}/metrics", timeout=WAIT).text)
            for _ in range(3)
        ]
    finally:
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=WAIT)
        server.stop()

    per_worker = 1 if settings.is_sqlite() else 2 * settings.db_pool_size
    for samples in scrapes:
        live = {"method": "GET", "route": "/health/live", "status": "200"}
        assert sample(samples, "casedesk_http_requests_total", **live) == 20
        # Each worker adds its own pool when it starts, so the sum proves that
        # every scrape reads the values of both processes.
        assert sample(samples, "casedesk_db_connections_max") == workers * per_worker


class TestShareMetrics:
    def test_single_worker_left_alone(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(cli.METRICS_DIR_VARIABLE, raising=False)

        assert cli._share_metrics(1) is None
        assert cli.METRICS_DIR_VARIABLE not in os.environ

    def test_workers_get_new_directory(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(cli.METRICS_DIR_VARIABLE, raising=False)

        created = cli._share_metrics(2)

        assert created is not None
        try:
            assert os.environ[cli.METRICS_DIR_VARIABLE] == str(created)
            assert list(created.iterdir()) == []
        finally:
            created.rmdir()

    def test_configured_directory_emptied(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        (tmp_path / "counter_4242.db").write_bytes(b"stale")
        (tmp_path / "notes.txt").write_text("kept")
        monkeypatch.setenv(cli.METRICS_DIR_VARIABLE, str(tmp_path))

        assert cli._share_metrics(3) is None
        assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
