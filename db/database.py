"""Opening golocal's database: engine, sessions, and the checks that come first.

:func:`open_database` is the one way in. It turns the configured URL into an engine,
proves the database can be reached (naming the host, never the password), refuses a
corrupt SQLite file without touching it, and brings the schema up to date: an embedded
SQLite database is migrated automatically, a PostgreSQL database that is behind is refused
with "run golocal db upgrade" so that a shared team database is only ever migrated on
purpose.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from golocal.db import schema_version
from golocal.errors import DatabaseError


class Database:
    """An engine plus a session factory; pass it explicitly, never import a global one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def describe(self) -> str:
        """The URL with the password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def normalise_url(raw: str) -> URL:
    """Parse a database URL; plain ``postgresql://`` means the psycopg 3 driver golocal ships."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseError(
            "database URL is not valid (expected e.g. sqlite:///path/golocal.db or "
            "postgresql://user:password@host:5432/golocal)"
        ) from None
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise DatabaseError(
            f"unsupported database {url.get_backend_name()!r}: use SQLite or PostgreSQL"
        )
    return url


def create_database_engine(raw_url: str, **engine_args: Any) -> Engine:
    """Create an engine for ``raw_url`` with golocal's per-dialect settings."""
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            _check_sqlite_file(Path(url.database))
        engine = create_engine(url, **engine_args)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _storage_failure)
        return engine
    try:
        engine = create_engine(
            url, pool_pre_ping=True, connect_args=_postgres_timeouts(url), **engine_args
        )
    except NoSuchModuleError:
        raise DatabaseError(f"no driver for {url.drivername}") from None
    event.listen(engine, "handle_error", _storage_failure)
    return engine


#: Seconds to wait for a PostgreSQL server to accept a connection (libpq ``connect_timeout``).
CONNECT_TIMEOUT_S = 10
#: The longest one statement may run on PostgreSQL (``statement_timeout``), in milliseconds.
STATEMENT_TIMEOUT_MS = 60_000


def _postgres_timeouts(url: URL) -> dict[str, Any]:
    """Connect and statement timeouts, unless the URL's query sets its own.

    A server that accepts the TCP connection and never answers would otherwise hold every
    command (and the bot's answers) for as long as it hangs.
    """
    args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = CONNECT_TIMEOUT_S
    if "options" not in url.query:
        args["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    # A server whose host vanished (no RST, no answer) is noticed by TCP instead of never:
    # unacknowledged data gives up after tcp_user_timeout, an idle link is probed.
    for name, value in _TCP_LIVENESS.items():
        if name not in url.query:
            args[name] = value
    return args


_TCP_LIVENESS = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}


#: Driver messages that mean the storage itself refused the write.
_STORAGE_FAILURES = (
    ("database or disk is full", "the disk is full"),
    ("no space left on device", "the disk is full"),
    ("could not extend file", "the disk is full"),
    ("readonly database", "the database is read-only"),
    ("read-only", "the database is read-only"),
    ("disk i/o error", "a disk I/O error"),
    ("unable to open database file", "the file cannot be opened"),
)


def _storage_failure(context: Any) -> None:
    """``handle_error`` hook: a full disk or a read-only database becomes one clear line.

    Only these: code that handles a lost connection itself (readiness, leader election)
    still sees the driver's error, and the CLI describes it (:func:`describe_failure`).
    """
    original = context.original_exception
    text_of = str(original).lower()
    url = context.engine.url if context.engine is not None else None
    for needle, what in _STORAGE_FAILURES:
        if needle in text_of:
            if url is not None and url.get_backend_name() == "sqlite":
                where = f"the SQLite database {url.database}"
            elif url is not None:
                where = f"the database at {url.host or 'localhost'}:{url.port or 5432}"
            else:
                where = "the database"
            raise DatabaseError(f"cannot use {where}: {what}") from None


def open_database(
    raw_url: str, *, migrate_embedded: bool = True, check_schema: bool = True
) -> Database:
    """Open, check and (for embedded SQLite) migrate the database.

    Args:
        raw_url: the SQLAlchemy URL.
        migrate_embedded: apply pending migrations to a SQLite database.
        check_schema: refuse a database behind this golocal's migrations (off for
            ``golocal db upgrade`` itself).

    Raises:
        DatabaseError: unreachable server, corrupt file, or a PostgreSQL schema that is behind.
    """
    engine = create_database_engine(raw_url)
    _check_reachable(engine)
    database = Database(engine)
    if not check_schema or schema_version.is_current(engine):
        return database
    from golocal.db import migrate  # Alembic only when the schema may need work

    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    if not migrate.is_known(current):
        assert current is not None
        raise migrate.newer_revision_error(engine, current, database.describe())
    if current != head:
        if database.dialect == "sqlite" and migrate_embedded:
            migrate.upgrade(engine)
        else:
            where = f"at revision {current}" if current else "empty (never migrated)"
            raise DatabaseError(
                f"the database {database.describe()} is {where}; this golocal needs {head}: "
                "run golocal db upgrade"
            )
    return database


#: How long a connection waits for another one's lock on an embedded database, in ms.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL lets the chat handlers read while a collector or the scheduler writes.
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, waiting out another connection's switch or migration.

    Switching a new file to WAL upgrades a read lock to a write lock. When another process
    does the same at the same moment (two ``golocal db upgrade``, two replicas starting),
    SQLite answers "database is locked" at once instead of calling the busy handler,
    because waiting could deadlock. Retrying after the other one is done is safe: the
    switch is persistent, so the retry usually finds the file already in WAL.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a SQLite database, read-only, before anything writes to it."""
    path = path.expanduser()
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create {path.parent}: {exc.strerror}") from None
        return
    if path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a SQLite database file")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(
            f"{path} is not a usable SQLite database ({exc}); it was left as it is. "
            "Move it aside or point GOLOCAL_DATABASE_URL elsewhere."
        ) from None


def describe_failure(exc: DBAPIError) -> str:
    """One line for a database error that reached the user: what the driver said, first line.

    A server that went away mid-run, or refuses the reconnect, is reported like this
    instead of as an unexpected error with a traceback (the driver's message names the host
    and port, never the password).
    """
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    what = "lost the connection to the database" if exc.connection_invalidated else "database"
    return f"{what}: {reason}"


def first_line(error: BaseException, url: URL) -> str:
    """A driver error's first line, without the URL's password."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return reason


def _check_reachable(engine: Engine) -> None:
    url = engine.url
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        reason = first_line(exc.orig, url) if exc.orig else type(exc).__name__
        if url.get_backend_name() == "sqlite":
            raise DatabaseError(f"cannot open SQLite database {url.database}: {reason}") from None
        where = f"{url.host or 'localhost'}:{url.port or 5432}"
        raise DatabaseError(
            f"cannot connect to the database at {where} (database {url.database!r}): {reason}"
        ) from None
