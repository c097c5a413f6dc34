"""Alembic, driven from code: upgrade on start, and the revision readiness compares against."""

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from alembic import command

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"

VERSION_QUERY = sa.text("SELECT version_num FROM alembic_version")

MIGRATION_LOCK_KEY = 7_406_192_318_733_051_904
"""PostgreSQL advisory lock held while migrating; any fixed 64-bit number works."""
LOCK = sa.text("SELECT pg_advisory_lock(:key)")
UNLOCK = sa.text("SELECT pg_advisory_unlock(:key)")


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    config.attributes["skip_logging_config"] = True
    return config


def _migrate(database_url: str, step: Callable[[Config], None]) -> None:
    """Run an Alembic command; on PostgreSQL one process at a time.

    Replicas that start together all run `casedesk serve`, which upgrades first.
    Without the lock two of them would create the same tables and one would
    fail. With it the later ones wait, then find the database at head. SQLite
    serves one host, so it takes no lock.
    """
    config = alembic_config(database_url)
    url = sa.make_url(database_url)
    if url.get_backend_name() != "postgresql":
        # SQLite creates the file but not its folder: a fresh clone has no var/.
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        step(config)
        return
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(LOCK, {"key": MIGRATION_LOCK_KEY})
            connection.commit()
            config.attributes["connection"] = connection
            try:
                step(config)
            finally:
                connection.rollback()
                connection.execute(UNLOCK, {"key": MIGRATION_LOCK_KEY})
                connection.commit()
    finally:
        engine.dispose()


def upgrade_to_head(database_url: str) -> None:
    _migrate(database_url, lambda config: command.upgrade(config, "head"))


def downgrade_to_base(database_url: str) -> None:
    _migrate(database_url, lambda config: command.downgrade(config, "base"))


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head
