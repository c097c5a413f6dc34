"""Server processes for the concurrency tests: real uvicorn processes on 127.0.0.1.

Both processes serve the session's test database, so requests sent through
them race the way requests through two replicas behind a load balancer do.
Ports come from CASEDESK_TEST_PORTS (default 8300-8349), the first free ones.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.db import Database
from app.settings import Settings
from tests.factories import Desk, build_desk

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 30.0
SHUTDOWN_TIMEOUT_SECONDS = 15.0


@dataclass
class LiveServer:
    """One `uvicorn` process serving the test database."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def _port_range() -> range:
    first, _, last = os.environ.get("CASEDESK_TEST_PORTS", "8300-8349").partition("-")
    return range(int(first), int(last) + 1)


def _free_port(in_use: set[int]) -> int:
    for port in _port_range():
        if port in in_use:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(
        f"no free port in {_port_range()}; set CASEDESK_TEST_PORTS to another range"
    )


def _wait_until_ready(server: LiveServer) -> None:
    """Poll /health/ready until the server reports the migrated database."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"server exited with {server.process.returncode}:\n{server.log_text()}"
            )
        try:
            response = httpx.get(f"{server.url}/health/ready", timeout=2.0)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"server not ready after {STARTUP_TIMEOUT_SECONDS} s:\n{server.log_text()}"
    )


def _stop(server: LiveServer) -> None:
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def start_server(database_url: str, port: int, log_dir: Path) -> LiveServer:
    """Start uvicorn on `port`; the caller waits for it with `_wait_until_ready`."""
    env = {
        **os.environ,
        "CASEDESK_DATABASE_URL": database_url,
        "CASEDESK_LOG_FORMAT": "json",
        "CASEDESK_LOG_LEVEL": "warning",
        # The tests send thousands of requests with a handful of tokens.
        "CASEDESK_RATE_LIMIT_PER_MINUTE": "10000000",
        "CASEDESK_RATE_LIMIT_BURST": "1000000",
        # At most 2 x 5 connections per process, well under PostgreSQL's
        # default max_connections of 100 on a server other runs share.
        "CASEDESK_DB_POOL_SIZE": "5",
    }
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "app.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return LiveServer(f"http://127.0.0.1:{port}", process, log_path)


@pytest.fixture(scope="session")
def servers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two server processes on the session's database, stopped by pid at the end."""
    log_dir = tmp_path_factory.mktemp("servers")
    started: list[LiveServer] = []
    ports: set[int] = set()
    try:
        for _ in range(2):
            port = _free_port(ports)
            ports.add(port)
            started.append(start_server(database_url, port, log_dir))
        for server in started:
            _wait_until_ready(server)
        yield started[0], started[1]
    finally:
        for server in started:
            _stop(server)
    for server in started:
        text = server.log_text()
        assert "database is locked" not in text, text
        assert logged_errors(text) == [], text


def logged_errors(text: str) -> list[dict[str, object]]:
    """The error and critical records among a server's JSON log lines."""
    found = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "critical"):
            found.append(entry)
    return found


@pytest.fixture
def live_desk(settings: Settings) -> Desk:
    """Agents with tokens valid on the real clock, which the server processes use."""
    db = Database(settings.database_url)
    try:
        return build_desk(db, datetime.now(UTC), token_ttl=timedelta(days=1))
    finally:
        db.dispose()


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Print a line of checked figures past pytest's output capture, so every run shows it."""

    def emit(line: str) -> None:
        with capsys.disabled():
            print(f"\n{line}")

    return emit
