"""Several processes opening one new embedded database at the same moment all get in.

Two ``golocal db upgrade`` (or two replicas) starting together both switch the new file to
WAL; SQLite refuses the loser at once with "database is locked" instead of waiting, so
the open must wait the other one out rather than fail.
"""

from __future__ import annotations

import threading

from sqlalchemy import text

from golocal.db.database import create_database_engine


def _open_and_write(url: str, barrier: threading.Barrier, errors: list[str]) -> None:
    engine = create_database_engine(url)
    barrier.wait()
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
            connection.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            connection.commit()
    except Exception as exc:  # every failure is the finding
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()


def test_simultaneous_first_opens_of_a_new_file_all_succeed(tmp_path):
    errors: list[str] = []
    for round_ in range(40):
        path = tmp_path / f"new{round_}.db"
        barrier = threading.Barrier(3)
        threads = [
            threading.Thread(target=_open_and_write, args=(f"sqlite:///{path}", barrier, errors))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], f"round {round_}: {errors[:2]}"
        engine = create_database_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 3
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        engine.dispose()
