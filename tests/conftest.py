"""Shared fixtures: a real database per test session, emptied before each test.

The database comes from CASEDESK_TEST_DATABASE_URL:
- unset: a SQLite file in a temporary directory;
- a PostgreSQL URL: a fresh database named casedesk_test_<random> is created on
  that server for the session and dropped at its end.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.db import Database
from app.domain.models import metadata
from app.main import create_app
from app.migrations import upgrade_to_head
from app.settings import Settings
from tests.factories import Desk, FrozenClock, build_desk


def _create_postgres_database(server_url: str) -> tuple[str, str]:
    url = sa.make_url(server_url)
    name = f"casedesk_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(server_url: str, name: str) -> None:
    engine = sa.create_engine(sa.make_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test session."""
    configured = os.environ.get("CASEDESK_TEST_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        server = Settings(database_url=configured).database_url
        url, name = _create_postgres_database(server)
        upgrade_to_head(url)
        yield url
        _drop_postgres_database(server, name)
        return
    path: Path = tmp_path_factory.mktemp("db") / "casedesk.db"
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    yield url


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def _empty_tables(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name == "service_request_number":
                connection.execute(table.update().values(value=0))
            else:
                connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "ALTER SEQUENCE service_request_number_seq RESTART WITH 1"
            )
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    _empty_tables(database_url)
    return Settings(
        database_url=database_url,
        log_format="json",
        rate_limit_per_minute=100_000,
        rate_limit_burst=10_000,
        search_rate_limit_per_minute=1_000,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def db(app: FastAPI) -> Database:
    return app.state.db  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://casedesk.test"
    ) as http:
        yield http


@pytest.fixture
def desk(db: Database, clock: FrozenClock) -> Desk:
    """Agents of every kind, with tokens: see tests/factories.py."""
    return build_desk(db, clock.now, token_ttl=timedelta(days=365))
