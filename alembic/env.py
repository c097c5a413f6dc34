"""Alembic environment: the URL comes from the service settings unless a caller sets one."""

from sqlalchemy import engine_from_config, pool

from alembic import context
from app.domain.models import metadata
from app.settings import get_settings

config = context.config
if config.config_file_name is not None and not config.attributes.get(
    "skip_logging_config"
):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.attributes.get("database_url") or get_settings().database_url


def _options(is_sqlite: bool) -> dict[str, object]:
    return {
        "target_metadata": metadata,
        "render_as_batch": is_sqlite,
        "compare_type": True,
        "compare_server_default": False,
    }


def run_migrations_offline() -> None:
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_options(url.startswith("sqlite")),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(
            connection=connectable, **_options(connectable.dialect.name == "sqlite")
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    engine = engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection, **_options(connection.dialect.name == "sqlite")
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
