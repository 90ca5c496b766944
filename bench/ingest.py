"""Ingest benchmark: golocal's usage-bucket upsert against the raw sqlite3 driver.

Upserts N usage-bucket rows (default 1,000,000) into a fresh SQLite file through
``golocal.db.usage.upsert_usage_buckets`` and, in the same run, the same rows into a second
fresh file through ``sqlite3.executemany`` with the equivalent ``INSERT ... ON CONFLICT DO
UPDATE`` (values already converted to what SQLite stores: the fastest raw path). Prints
both rates and their ratio (target: golocal >= 0.5 x raw), then re-upserts the same rows
through golocal and prints the row count, which must not change.

    .venv/bin/python bench/ingest.py [--rows N]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from golocal.db.database import open_database
from golocal.db.types import to_nanos
from golocal.db.usage import count_usage_buckets, upsert_usage_buckets

MODELS = [f"model-{i}" for i in range(10)]
PROJECTS = [f"proj_{i}" for i in range(10)]
START = datetime(2025, 1, 1, tzinfo=UTC)


def make_rows(count: int) -> list[dict[str, Any]]:
    """Distinct hourly buckets: 100 model x project pairs per hour."""
    collected = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        hour, pair = divmod(i, 100)
        rows.append(
            {
                "source": "openai",
                "bucket_start": START + timedelta(hours=hour),
                "bucket_seconds": 3600,
                "location": "cloud",
                "provider": "openai",
                "model": MODELS[pair // 10],
                "project": PROJECTS[pair % 10],
                "api_key": "",
                "variant": "",
                "team": None,
                "requests": 10 + i % 7,
                "input_tokens": 20_000 + i % 1000,
                "cached_input_tokens": None,
                "cache_write_tokens": None,
                "output_tokens": 3_000 + i % 300,
                "cost_usd": Decimal(i % 5000) / Decimal(1000),
                "cost_estimated": False,
                "collected_at": collected,
            }
        )
    return rows


RAW_SQL = """
INSERT INTO usage_buckets (source, bucket_start, bucket_seconds, location, provider, model,
    project, api_key, variant, team, requests, input_tokens, cached_input_tokens,
    cache_write_tokens, output_tokens, cost_usd, cost_estimated, collected_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source, bucket_start, bucket_seconds, provider, model, project, api_key, variant)
DO UPDATE SET location = excluded.location, requests = excluded.requests,
    input_tokens = excluded.input_tokens, cached_input_tokens = excluded.cached_input_tokens,
    cache_write_tokens = excluded.cache_write_tokens, output_tokens = excluded.output_tokens,
    cost_usd = excluded.cost_usd, cost_estimated = excluded.cost_estimated,
    collected_at = excluded.collected_at, team = coalesce(excluded.team, usage_buckets.team)
"""


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def raw_tuples(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            r["source"], _stamp(r["bucket_start"]), r["bucket_seconds"], r["location"],
            r["provider"], r["model"], r["project"], r["api_key"], r["variant"], r["team"],
            r["requests"], r["input_tokens"], r["cached_input_tokens"], r["cache_write_tokens"],
            r["output_tokens"], to_nanos(r["cost_usd"]), int(r["cost_estimated"]),
            _stamp(r["collected_at"]),
        )
        for r in rows
    ]  # fmt: skip


def bench_golocal(path: Path, rows: list[dict[str, Any]]) -> tuple[float, int, int]:
    database = open_database(f"sqlite:///{path}")
    started = time.perf_counter()
    upsert_usage_buckets(database, rows)
    elapsed = time.perf_counter() - started
    first = count_usage_buckets(database)
    upsert_usage_buckets(database, rows)
    second = count_usage_buckets(database)
    database.dispose()
    return elapsed, first, second


def bench_raw(path: Path, rows: list[dict[str, Any]]) -> float:
    open_database(f"sqlite:///{path}").dispose()  # same schema, same pragmas
    values = raw_tuples(rows)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    for offset in range(0, len(values), 5000):
        with connection:
            connection.executemany(RAW_SQL, values[offset : offset + 5000])
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        golocal_s, first, second = bench_golocal(Path(tmp) / "golocal.db", rows)
        raw_s = bench_raw(Path(tmp) / "raw.db", rows)
    golocal_rate = args.rows / golocal_s
    raw_rate = args.rows / raw_s
    print(f"rows:                 {args.rows:,}")
    print(f"golocal upsert:       {golocal_s:8.2f} s  {golocal_rate:12,.0f} rows/s")
    print(f"raw sqlite3 upsert:   {raw_s:8.2f} s  {raw_rate:12,.0f} rows/s")
    print(f"ratio golocal/raw:    {golocal_rate / raw_rate:8.2f}  (target >= 0.50)")
    print(f"row count after 1st:  {first:,}")
    print(f"row count after 2nd:  {second:,}  ({'unchanged' if first == second else 'CHANGED'})")


if __name__ == "__main__":
    main()
