"""Liveness and readiness: readiness follows the database and the migration head."""

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.main import create_app
from app.migrations import head_revision, upgrade_to_head
from app.settings import Settings
from tests.ops.conftest import LogLines, TcpProxy, free_port, sample, scrape


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://casedesk.test"
        ) as http:
            yield http


async def test_live_without_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}", log_format="json")

    async with serve(settings) as client:
        response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


async def test_ready_when_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok"},
    }


async def test_ready_follows_postgres_outage(
    settings: Settings, is_postgres: bool, logs: LogLines
) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL behind a TCP proxy")
    url = sa.make_url(settings.database_url)
    proxy = TcpProxy(free_port(), (url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port)
    proxy.start()
    try:
        async with serve(
            settings.model_copy(
                update={"database_url": proxied.render_as_string(hide_password=False)}
            )
        ) as client:
            assert (await client.get("/health/ready")).status_code == 200

            proxy.stop()
            broken = await client.get("/health/ready")
            refused = await client.get("/health/ready")

            proxy.start()
            recovered = await client.get("/health/ready")
            samples = await scrape(client)
    finally:
        proxy.stop()

    assert broken.status_code == 503
    assert broken.json() == {
        "status": "unavailable",
        "checks": {"database": "unreachable"},
    }
    assert refused.status_code == 503
    assert recovered.status_code == 200
    assert recovered.json()["checks"] == {"database": "ok", "migrations": "ok"}
    assert sample(samples, "casedesk_db_connections_in_use") == 0
    [outage] = logs.events("health.not_ready")
    assert outage["reason"].startswith("database unreachable")
    assert len(logs.events("health.ready_again")) == 1


@pytest.fixture
def sqlite_file(tmp_path: Path, is_postgres: bool) -> Path:
    if is_postgres:
        pytest.skip("checks the migration state of a SQLite file")
    path = tmp_path / "ready.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


def _execute(path: Path, statement: str) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(statement)
    connection.close()


async def test_ready_fails_on_stale_migration(sqlite_file: Path) -> None:
    head = head_revision()

    async with serve(
        Settings(database_url=f"sqlite:///{sqlite_file}", log_format="json")
    ) as client:
        assert (await client.get("/health/ready")).status_code == 200
        _execute(sqlite_file, "UPDATE alembic_version SET version_num = '0badc0de'")
        stale = await client.get("/health/ready")
        _execute(sqlite_file, f"UPDATE alembic_version SET version_num = '{head}'")
        recovered = await client.get("/health/ready")

    assert stale.status_code == 503
    assert stale.json()["checks"] == {
        "database": "ok",
        "migrations": f"at 0badc0de, expected {head}; run 'casedesk migrate'",
    }
    assert recovered.status_code == 200


async def test_ready_fails_on_unmigrated_database(sqlite_file: Path) -> None:
    _execute(sqlite_file, "DROP TABLE alembic_version")

    async with serve(
        Settings(database_url=f"sqlite:///{sqlite_file}", log_format="json")
    ) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": f"no migration applied, expected {head_revision()}; "
        "run 'casedesk migrate'",
    }


async def test_ready_fails_on_unopenable_file(
    tmp_path: Path, is_postgres: bool
) -> None:
    if is_postgres:
        pytest.skip("opens a SQLite path")
    directory = tmp_path / "not-a-file.db"
    directory.mkdir()

    async with serve(
        Settings(database_url=f"sqlite:///{directory}", log_format="json")
    ) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable"}


async def test_ready_gives_up_on_a_silent_database_host() -> None:
    """A host that accepts the connection but never responds fails readiness instead of hanging it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings = Settings(
            database_url=f"postgresql://postgres@127.0.0.1:{port}/test",
            log_format="json",
        )

        async with serve(settings) as client:
            response = await asyncio.wait_for(client.get("/health/ready"), 60)

    assert response.status_code == 503
    assert response.json()["checks"]["database"] != "ok"
