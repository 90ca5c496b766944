"""Who runs the scheduled jobs: one leader per database, decided by the database.

On PostgreSQL every ``golocal run`` replica competes for a session-level advisory lock
(https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS) held on a
*dedicated* connection, outside the pool, so no other work can release it by accident. The
lock lives exactly as long as that session: when the leader's process dies, the server ends
the session and the lock is free at once; when its host or network dies, the server's TCP
keepalives (set on the session below) end it within about a minute. The leader checks its
session on every round and steps down when it is gone.

SQLite is one process's database: :class:`SqliteRunLock` takes an exclusive lock on a file
next to the database, so a second ``golocal run`` on the same file is refused with a reason
instead of running every job twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from golocal.db.database import Database
from golocal.errors import GolocalError

log = logging.getLogger(__name__)

#: The advisory lock key of the scheduler (any fixed 64-bit number; "golocal" in ASCII).
SCHEDULER_LOCK_KEY = 0x676F6C6F63616C
#: Server-side keepalives of the lock's session: a dead leader host frees it in ~60 s.
_SESSION_KEEPALIVES = (
    "SET tcp_keepalives_idle = 30",
    "SET tcp_keepalives_interval = 10",
    "SET tcp_keepalives_count = 3",
)
_CLIENT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class LeaderLock(Protocol):
    """A lock only one process holds; ``check`` says whether this process still holds it."""

    def acquire(self) -> bool: ...

    def check(self) -> bool: ...

    def release(self) -> None: ...


class PostgresLeaderLock:
    """``pg_try_advisory_lock`` on a dedicated session (never blocks, never pooled)."""

    def __init__(self, database: Database, key: int = SCHEDULER_LOCK_KEY) -> None:
        self.key = key
        self._engine: Engine = create_engine(
            database.engine.url, poolclass=NullPool, connect_args=_CLIENT_ARGS
        )
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """Try once; ``True`` when this process now holds the lock."""
        if self._connection is not None:
            return self.check()
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            log.warning("leader election: cannot reach the database (%s)", type(exc).__name__)
            return False
        try:
            for statement in _SESSION_KEEPALIVES:
                connection.execute(text(statement))
            held = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar_one()
        except SQLAlchemyError as exc:
            log.warning("leader election failed (%s)", type(exc).__name__)
            connection.close()
            return False
        if not held:
            connection.close()
            return False
        self._connection = connection
        return True

    def check(self) -> bool:
        """``True`` while the session that holds the lock is alive and still holds it."""
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted "
                    "AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": self.key},
            ).scalar_one()
        except SQLAlchemyError:
            held = 0
        if not held:
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Give the lock up (closing the session frees it even if the unlock fails)."""
        if self._connection is None:
            return
        # should the unlock fail, the close below ends the session, and the lock with it
        with contextlib.suppress(SQLAlchemyError):
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                connection.invalidate()
        self._engine.dispose()


class SqliteRunLock:
    """An exclusive ``flock`` on ``<database file>.run.lock`` for this process's lifetime."""

    def __init__(self, database_file: Path) -> None:
        self.database_file = database_file
        self.path = database_file.with_name(database_file.name + ".run.lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        if self._handle is not None:
            return True
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return True

    def holder(self) -> str | None:
        """The process id written by the process that holds the lock, if readable."""
        try:
            return self.path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def check(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def leader_lock(database: Database) -> LeaderLock | None:
    """The lock that elects the scheduling process for ``database``.

    Returns ``None`` for an in-memory SQLite database (nothing else can share it).

    Raises:
        GolocalError: SQLite, and another ``golocal run`` already uses the same file.
    """
    if database.dialect == "postgresql":
        return PostgresLeaderLock(database)
    name = database.engine.url.database
    if not name or name == ":memory:":
        return None
    lock = SqliteRunLock(Path(name).resolve())
    if not lock.acquire():
        holder = lock.holder()
        who = f" (process {holder})" if holder else ""
        raise GolocalError(
            f"another golocal run{who} already uses {lock.database_file}: SQLite is for one "
            "process — stop it first, or put the replicas on PostgreSQL"
        )
    return lock
