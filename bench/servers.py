"""Start both apps on loopback, measure their CPU time, and make fresh databases."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Processes and CPU time


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn's workers are children)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree.extend(children)
        frontier.extend(children)
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes, from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def wait_until_up(port: int, path: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server on port {port} exited with {process.returncode}"
            )
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path} within 60 s")


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    database_url: str
    table: str
    pids: list[int] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def count_rows(self, table: str | None = None, where: str = "") -> int:
        """Count the rows of `table` (default: the app's main table), with an optional SQL condition."""
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                quoted = engine.dialect.identifier_preparer.quote(table or self.table)
                condition = f" WHERE {where}" if where else ""
                return int(
                    connection.execute(
                        sa.text(f"SELECT count(*) FROM {quoted}{condition}")
                    ).scalar_one()
                )
        finally:
            engine.dispose()


def start_casedesk(url: str, port: int, workers: int, log_path: Path) -> Server:
    env = {
        **os.environ,
        "CASEDESK_DATABASE_URL": url,
        # The default per-token limit would reject most of the load with 429.
        "CASEDESK_RATE_LIMIT_PER_MINUTE": "100000000",
        "CASEDESK_RATE_LIMIT_BURST": "100000000",
        "CASEDESK_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "casedesk"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )
    server = Server("casedesk", port, process, url, "service_request")
    wait_until_up(port, "/health/live", process)
    return server


def start_baseline(url: str, port: int, workers: int, log_path: Path) -> Server:
    env = {**os.environ, "BASELINE_DATABASE_URL": url}
    # Create the table once, so that several workers do not race to create it.
    subprocess.run(
        [sys.executable, "-c", "import tutorial_baseline"],
        cwd=BENCH_DIR,
        env=env,
        check=True,
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tutorial_baseline:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        cwd=BENCH_DIR,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )
    server = Server("baseline", port, process, url, "case")
    wait_until_up(port, "/openapi.json", process)
    return server


# Databases


class Databases:
    """Fresh databases for both apps: SQLite files, or PostgreSQL databases dropped afterwards."""

    def __init__(self, postgres_url: str | None, directory: Path) -> None:
        self.postgres_url = postgres_url
        self.directory = directory
        self.created: list[str] = []

    def new(self, name: str) -> str:
        if self.postgres_url is None:
            return f"sqlite:///{self.directory / (name + '.db')}"
        import psycopg

        database = f"bench_{name}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(self._admin_url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        self.created.append(database)
        return str(
            sa.make_url(self._admin_url())
            .set(drivername="postgresql+psycopg", database=database)
            .render_as_string(hide_password=False)
        )

    def _admin_url(self) -> str:
        assert self.postgres_url is not None
        return re.sub(
            r"^postgres(ql)?(\+psycopg)?://", "postgresql://", self.postgres_url
        )

    def drop_all(self) -> None:
        if not self.created:
            return
        import psycopg

        with psycopg.connect(self._admin_url(), autocommit=True) as admin:
            for database in self.created:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.created.clear()
