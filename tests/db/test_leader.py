"""The scheduler lock: one holder per database, lost with its session, free when it ends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from golocal.db.database import Database, open_database
from golocal.db.leader import PostgresLeaderLock, SqliteRunLock, leader_lock
from golocal.errors import GolocalError
from golocal.jobs.leadership import Leadership


@pytest.mark.postgres
def test_one_holder_and_the_lock_passes_on_when_released(_migrated_postgres: Database) -> None:
    first, second = PostgresLeaderLock(_migrated_postgres), PostgresLeaderLock(_migrated_postgres)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.check()
        first.release()
        assert second.acquire()
        assert not first.check()
    finally:
        first.release()
        second.release()


@pytest.mark.postgres
def test_a_holder_whose_session_was_ended_knows_it_lost(_migrated_postgres: Database) -> None:
    holder, other = PostgresLeaderLock(_migrated_postgres), PostgresLeaderLock(_migrated_postgres)
    try:
        assert holder.acquire()
        with _migrated_postgres.engine.begin() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
                )
            ).all()
        assert ended  # the holder's session, as a restarted server or a cut network would
        assert not holder.check()
        assert other.acquire()
    finally:
        holder.release()
        other.release()


@pytest.mark.postgres
def test_leadership_starts_the_scheduler_only_while_it_holds_the_lock(
    _migrated_postgres: Database,
) -> None:
    started: list[str] = []

    class Scheduler:
        def __init__(self, name: str) -> None:
            self.name = name
            started.append(name)

        def shutdown(self, wait: bool = False) -> None:
            started.append(f"{self.name} stopped")

    blocker = PostgresLeaderLock(_migrated_postgres)
    assert blocker.acquire()
    follower = Leadership(
        PostgresLeaderLock(_migrated_postgres), lambda: Scheduler("b"), retry_seconds=60
    )
    try:
        follower.round()
        assert started == [] and not follower.leading
        blocker.release()
        follower.round()
        assert started == ["b"] and follower.leading
    finally:
        follower.shutdown()
        blocker.release()
    assert started == ["b", "b stopped"]


def test_sqlite_allows_one_run_per_file(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'golocal.db'}")
    try:
        lock = leader_lock(database)
        assert isinstance(lock, SqliteRunLock)
        with pytest.raises(GolocalError, match="already uses"):
            leader_lock(database)
        lock.release()
        again = leader_lock(database)
        assert again is not None
        again.release()
    finally:
        database.dispose()
