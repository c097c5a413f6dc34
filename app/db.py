"""Database access: the engine, units of work, and a fast statement executor.

Every request's reads and writes run as one *unit of work*: a plain function
that takes a `Tx` and runs inside one transaction. `Database.write` is the one
place that commits, and it commits before the caller builds its response, so a
failed commit reaches the client as an error, never as a 2xx.

Where the work runs depends on the backend:

- SQLite: on the calling thread (the event loop in the server), over the one
  connection this process holds. A unit of work never awaits, so units of work
  in one process never interleave, and `BEGIN IMMEDIATE` takes the write lock
  up front so that writers in other processes queue on `busy_timeout` instead
  of failing with "database is locked" halfway through.
- PostgreSQL: in a worker thread, over a pooled connection, so that waits on
  the network and on commits overlap.

Statements are SQLAlchemy Core constructs over the SQLModel tables. Constant
statements (module-level, built once) go through `Tx.one`, `Tx.all`, `Tx.value`
and `Tx.execute`: they are compiled once per dialect and run on the DBAPI
cursor with SQLAlchemy's own type processors, which costs a fraction of
`Connection.execute`. Statements built per request (filters, sorting) go
through `Tx.query` and `Tx.apply`, that is through SQLAlchemy, because the
compile cache keys on the statement object and would grow without bound.
"""

import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import anyio.to_thread
import orjson
import sqlalchemy as sa
import structlog
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.sql.elements import ClauseElement

_log = structlog.get_logger(component="db")

P = ParamSpec("P")
T = TypeVar("T")

Row = dict[str, Any]


class UniqueViolation(Exception):
    """A write broke a unique constraint; `constraint` names it where the driver says."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None
    defaults: Mapping[str, Any]
    bind_processors: Mapping[str, Callable[[Any], Any]]
    columns: tuple[str, ...]
    result_processors: tuple[Callable[[Any], Any] | None, ...]


def _bare_insert(statement: ClauseElement) -> bool:
    """Whether this is an INSERT whose columns come from the parameters of each execution."""
    return (
        isinstance(statement, sa.Insert)
        and statement._values is None
        and not statement._multi_values
        and statement.select is None
    )


def _compile(
    statement: ClauseElement, dialect: Dialect, column_keys: list[str] | None = None
) -> _Compiled | None:
    """Compile a constant statement, or return None where only SQLAlchemy can run it."""
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    sql = str(compiled)
    if "POSTCOMPILE" in sql:
        return None

    defaults: dict[str, Any] = {}
    processors: dict[str, Callable[[Any], Any]] = {}
    for bind, name in compiled.bind_names.items():
        if not bind.required:
            defaults[name] = bind.effective_value
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor

    selected = getattr(statement, "exported_columns", None) or ()
    columns = tuple(column.name for column in selected)
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in selected
    )
    positional = tuple(compiled.positiontup) if compiled.positiontup else None
    return _Compiled(sql, positional, defaults, processors, columns, results)


def _unique_constraint_name(error: Exception) -> str:
    diag = getattr(error, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    # SQLite names the columns: "UNIQUE constraint failed: profile.email_key".
    return str(error).rpartition(":")[2].strip()


class Tx:
    """One transaction's handle. Statements take their parameters by name."""

    __slots__ = ("_cache", "_cursor", "_dbapi", "_dialect", "connection")

    def __init__(
        self,
        connection: Connection,
        dialect: Dialect,
        cache: dict[Any, _Compiled | None],
    ) -> None:
        self.connection = connection
        self._dialect = dialect
        self._cache = cache
        self._dbapi: Any = connection.connection.dbapi_connection
        self._cursor: Any = self._dbapi.cursor()

    def _compiled(
        self, statement: ClauseElement, params: Mapping[str, Any]
    ) -> _Compiled | None:
        key: Any = statement
        if _bare_insert(statement):
            key = (statement, frozenset(params))
        try:
            return self._cache[key]
        except KeyError:
            columns = sorted(params) if isinstance(key, tuple) else None
            compiled = self._cache[key] = _compile(statement, self._dialect, columns)
            return compiled

    def _run(self, statement: ClauseElement, params: Mapping[str, Any]) -> Any:
        compiled = self._compiled(statement, params)
        if compiled is None:
            return None
        values = {**compiled.defaults, **params}
        for name, processor in compiled.bind_processors.items():
            if name in values:
                values[name] = processor(values[name])
        arguments: Any = (
            [values[name] for name in compiled.positional]
            if compiled.positional is not None
            else values
        )
        try:
            self._cursor.execute(compiled.sql, arguments)
        except self._dialect.loaded_dbapi.IntegrityError as error:
            if _is_unique_violation(error):
                raise UniqueViolation(_unique_constraint_name(error)) from error
            raise
        return compiled

    def _rows(
        self, compiled: _Compiled, raw_rows: Sequence[Sequence[Any]]
    ) -> list[Row]:
        names = compiled.columns
        processors = compiled.result_processors
        rows = []
        for raw in raw_rows:
            rows.append(
                {
                    name: (
                        value
                        if processor is None or value is None
                        else processor(value)
                    )
                    for name, processor, value in zip(
                        names, processors, raw, strict=True
                    )
                }
            )
        return rows

    def all(self, statement: ClauseElement, **params: Any) -> list[Row]:
        compiled = self._run(statement, params)
        if compiled is None:
            result = self._via_sqlalchemy(statement, params)
            return [dict(row._mapping) for row in result]
        return self._rows(compiled, self._cursor.fetchall())

    def one(self, statement: ClauseElement, **params: Any) -> Row | None:
        compiled = self._run(statement, params)
        if compiled is None:
            row = self._via_sqlalchemy(statement, params).first()
            return None if row is None else dict(row._mapping)
        raw = self._cursor.fetchone()
        return None if raw is None else self._rows(compiled, [raw])[0]

    def value(self, statement: ClauseElement, **params: Any) -> Any:
        row = self.one(statement, **params)
        return None if row is None else next(iter(row.values()))

    def execute(self, statement: ClauseElement, **params: Any) -> int:
        """Run a write and return how many rows it changed."""
        compiled = self._run(statement, params)
        if compiled is None:
            return int(self._via_sqlalchemy(statement, params).rowcount)
        return int(self._cursor.rowcount)

    def query(self, statement: sa.Executable) -> list[Row]:
        """Run a query built per request (filters, sorting) through SQLAlchemy."""
        return [dict(row._mapping) for row in self._via_sqlalchemy(statement, {})]

    def apply(self, statement: sa.Executable) -> int:
        """Run a write built per request through SQLAlchemy; return how many rows it changed."""
        return int(self._via_sqlalchemy(statement, {}).rowcount)

    def _via_sqlalchemy(self, statement: Any, params: Mapping[str, Any]) -> Any:
        try:
            return self.connection.execute(statement, dict(params))
        except sa.exc.IntegrityError as error:
            raise UniqueViolation(_unique_constraint_name(error.orig)) from error


def _is_unique_violation(error: Exception) -> bool:
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == "23505")
    return "UNIQUE constraint failed" in str(error)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # The driver's own transaction handling would open transactions behind our
        # back; the units of work issue BEGIN themselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


POSTGRES_CONNECT_TIMEOUT_SECONDS = 5


def create_db_engine(
    url: str, *, pool_size: int = 10, busy_timeout_ms: int = 10_000
) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={
                "check_same_thread": False,
                "timeout": busy_timeout_ms / 1000,
            },
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    # A database host that drops packets would otherwise hold a request (or a
    # readiness probe) for as long as the kernel keeps trying. A connect_timeout
    # in the URL's query wins.
    connect_args = (
        {}
        if "connect_timeout" in parsed.query
        else {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
    )
    return sa.create_engine(
        parsed,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        pool_pre_ping=False,
    )


class _WalCheckpointer:
    """Copies the SQLite WAL into the database file from a background thread.

    SQLite's automatic checkpoint runs inside the commit that crosses the WAL
    size limit, so that one request pays for copying the pages and for the
    fsync of the database file. A PASSIVE checkpoint on a second connection
    does the same work without taking the write lock, and the driver releases
    the GIL while it runs, so request handling goes on meanwhile.
    """

    def __init__(
        self, path: str, interval_seconds: float, busy_timeout_ms: int
    ) -> None:
        self._path = path
        self._interval = interval_seconds
        self._busy_timeout_ms = busy_timeout_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="sqlite-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        connection = sqlite3.connect(self._path, timeout=self._busy_timeout_ms / 1000)
        try:
            while not self._stop.wait(self._interval):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:
                    # The request connection's own autocheckpoint remains the backstop.
                    _log.warning(
                        "sqlite.checkpoint_failed", error_type=type(error).__name__
                    )
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


WAL_CHECKPOINT_INTERVAL_SECONDS = 0.5
BACKSTOP_AUTOCHECKPOINT_PAGES = 20_000
"""WAL pages (about 80 MB at 4 KiB) after which a commit checkpoints by itself,
for when the background checkpoint falls behind or cannot run."""


class Database:
    """The process's database: runs units of work and owns every commit."""

    def __init__(
        self, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 10_000
    ) -> None:
        self.engine = create_db_engine(
            url, pool_size=pool_size, busy_timeout_ms=busy_timeout_ms
        )
        self.dialect = self.engine.dialect
        self.is_sqlite = self.dialect.name == "sqlite"
        self._cache: dict[Any, _Compiled | None] = {}
        self._sqlite_tx: Tx | None = None
        self._sqlite_lock = threading.Lock()
        self._busy_timeout_ms = busy_timeout_ms
        self._checkpointer: _WalCheckpointer | None = None

    @property
    def url(self) -> sa.URL:
        return self.engine.url

    async def read(
        self, work: Callable[Concatenate[Tx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work` in a read-only transaction."""
        if self.is_sqlite:
            return self.run(work, *args, write=False, **kwargs)
        return await anyio.to_thread.run_sync(
            lambda: self.run(work, *args, write=False, **kwargs)
        )

    async def write(
        self, work: Callable[Concatenate[Tx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work` in a transaction and commit it; an exception rolls everything back."""
        if self.is_sqlite:
            return self.run(work, *args, write=True, **kwargs)
        return await anyio.to_thread.run_sync(
            lambda: self.run(work, *args, write=True, **kwargs)
        )

    def run(
        self,
        work: Callable[Concatenate[Tx, P], T],
        *args: P.args,
        write: bool = True,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a unit of work on the calling thread (used by the CLI and the async entry points)."""
        if self.is_sqlite:
            with self._sqlite_lock:
                tx = self._shared_sqlite_tx()
                dbapi = tx._dbapi
                tx._cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    result = work(tx, *args, **kwargs)
                    self._commit(dbapi)
                except BaseException:
                    dbapi.rollback()
                    raise
                return result
        with self.engine.connect() as connection:
            return self._run_pooled(connection, work, *args, **kwargs)

    def _run_pooled(
        self,
        connection: Connection,
        work: Callable[Concatenate[Tx, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        dbapi: Any = connection.connection.dbapi_connection
        try:
            result = work(Tx(connection, self.dialect, self._cache), *args, **kwargs)
            self._commit(dbapi)
            return result
        except BaseException as error:
            if isinstance(error, self.dialect.loaded_dbapi.OperationalError):
                # The raw cursor bypasses SQLAlchemy's disconnect handling, so a
                # connection that broke must be dropped from the pool here.
                connection.invalidate()
                raise
            dbapi.rollback()
            raise
        finally:
            if not connection.invalidated and connection.in_transaction():
                # Statements run through SQLAlchemy open its own transaction record;
                # the DBAPI commit above already ended the real transaction.
                connection.rollback()

    def _commit(self, dbapi: Any) -> None:
        dbapi.commit()

    def _shared_sqlite_tx(self) -> Tx:
        """The one connection (and cursor) this process uses for SQLite, opened on first use."""
        if self._sqlite_tx is None or self._sqlite_tx.connection.closed:
            connection = self.engine.connect()
            # Keep SQLAlchemy from opening its own transaction on this connection.
            connection.commit()
            self._sqlite_tx = Tx(connection, self.dialect, self._cache)
            database = self.engine.url.database
            if database and database != ":memory:":
                self._sqlite_tx._cursor.execute(
                    f"PRAGMA wal_autocheckpoint={BACKSTOP_AUTOCHECKPOINT_PAGES}"
                )
                if self._checkpointer is None:
                    self._checkpointer = _WalCheckpointer(
                        database, WAL_CHECKPOINT_INTERVAL_SECONDS, self._busy_timeout_ms
                    )
        return self._sqlite_tx

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._sqlite_lock:
            if self._sqlite_tx is not None:
                self._sqlite_tx.connection.close()
                self._sqlite_tx = None
        self.engine.dispose()
