"""The raw-driver SQLite upsert stores exactly what SQLAlchemy's generic path stores."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from golocal.db.database import open_database
from golocal.db.upsert import upsert_rows
from golocal.db.usage import USAGE_TABLE

START = datetime(2026, 3, 1, tzinfo=UTC)


def mixed_rows(count: int) -> list[dict[str, object]]:
    """Rows as collectors send them: optional keys missing, shared and distinct values."""
    rows: list[dict[str, object]] = []
    for i in range(count):
        row: dict[str, object] = {
            "source": "openai",
            "bucket_start": START + timedelta(hours=i // 10),
            "bucket_seconds": 3600,
            "location": "cloud",
            "model": f"m{i % 10}",
        }
        if i % 3:
            row["cost_usd"] = Decimal(i) / Decimal(7)  # distinct, rounded to the nano
        if i % 4 == 0:
            row["requests"] = i
            row["cost_estimated"] = True
        if i % 5 == 0:
            # the same instant, written in another zone
            row["bucket_start"] = row["bucket_start"].astimezone(timezone(timedelta(hours=5)))  # type: ignore[union-attr]
        rows.append(row)
    return rows


def stored(database) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT source, bucket_start, model, requests, cost_usd, cost_estimated, "
                    "team FROM usage_buckets ORDER BY bucket_start, model"
                )
            )
        )


def test_fast_path_matches_the_generic_path(sqlite_database, tmp_path):
    generic_table = dataclasses.replace(USAGE_TABLE, sqlite_converters={})
    generic = open_database(f"sqlite:///{tmp_path / 'generic.db'}")
    rows = mixed_rows(700)
    assert upsert_rows(sqlite_database, USAGE_TABLE, rows, batch_size=256) == 700
    assert upsert_rows(generic, generic_table, rows, batch_size=256) == 700
    fast_rows, generic_rows = stored(sqlite_database), stored(generic)
    generic.dispose()
    assert len(fast_rows) == 700
    assert fast_rows == generic_rows


def test_fast_path_refuses_float_money_and_reports_a_missing_column(sqlite_database):
    rows = mixed_rows(300)
    rows[150]["cost_usd"] = 1.25
    with pytest.raises(TypeError, match="money must be a Decimal"):
        upsert_rows(sqlite_database, USAGE_TABLE, rows)
    rows = mixed_rows(3)
    del rows[1]["source"]  # no default: the generic path names the missing value
    with pytest.raises(Exception, match="source"):
        upsert_rows(sqlite_database, USAGE_TABLE, rows)
