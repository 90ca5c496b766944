"""Ingest benchmark: golocal's usage-bucket upsert against the raw database drivers.

SQLite: upserts N usage-bucket rows (default 200,000) into a fresh file through
``golocal.db.usage.upsert_usage_buckets`` and, alternately in the same run, the same rows
into another fresh file through ``sqlite3.executemany`` with the equivalent ``INSERT ... ON
CONFLICT DO UPDATE`` (values already converted to what SQLite stores, outside the timing:
the fastest raw path). ``--repeat`` rounds; prints the median of each and the median
golocal/raw rate ratio (target >= 0.7), then re-upserts through golocal and checks the row
count does not change.

PostgreSQL (when ``--postgres-url`` or ``GOLOCAL_TEST_POSTGRES_URL`` names a server whose
user may create databases): the same rows through golocal into a fresh, migrated database,
beside raw psycopg ``executemany`` of the same upsert and a raw ``COPY`` into the empty table
(insert only, the ceiling for a first load), each in a fresh database; medians and ratios.

    .venv/bin/python bench/ingest.py [--rows N] [--repeat 5] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from golocal.db import migrate
from golocal.db.database import create_database_engine, normalise_url, open_database
from golocal.db.types import to_nanos
from golocal.db.usage import count_usage_buckets, upsert_usage_buckets

MODELS = [f"model-{i}" for i in range(10)]
PROJECTS = [f"proj_{i}" for i in range(10)]
START = datetime(2025, 1, 1, tzinfo=UTC)
BATCH = 5000  # rows per transaction, as golocal's upsert sends them
TARGET_RATIO = 0.7


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


def bench_golocal(url: str, rows: list[dict[str, Any]], *, check: bool = False) -> float:
    """Seconds for golocal's upsert of ``rows`` into the empty database at ``url``."""
    database = open_database(url)
    started = time.perf_counter()
    upsert_usage_buckets(database, rows)
    elapsed = time.perf_counter() - started
    if check:
        first = count_usage_buckets(database)
        upsert_usage_buckets(database, rows)
        second = count_usage_buckets(database)
        state = "unchanged" if first == second == len(rows) else "CHANGED"
        print(f"  {database.dialect}: rows after 1st upsert {first:,}, 2nd {second:,} ({state})")
    database.dispose()
    return elapsed


def bench_raw_sqlite(path: Path, rows: list[dict[str, Any]]) -> float:
    open_database(f"sqlite:///{path}").dispose()  # same schema, same pragmas
    values = raw_tuples(rows)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    for offset in range(0, len(values), BATCH):
        with connection:
            connection.executemany(RAW_SQL, values[offset : offset + BATCH])
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def pg_tuples(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows as the PostgreSQL columns store them (naive UTC, nano-dollars)."""
    return [
        (
            r["source"], r["bucket_start"].astimezone(UTC).replace(tzinfo=None),
            r["bucket_seconds"], r["location"], r["provider"], r["model"], r["project"],
            r["api_key"], r["variant"], r["team"], r["requests"], r["input_tokens"],
            r["cached_input_tokens"], r["cache_write_tokens"], r["output_tokens"],
            to_nanos(r["cost_usd"]), r["cost_estimated"],
            r["collected_at"].astimezone(UTC).replace(tzinfo=None),
        )
        for r in rows
    ]  # fmt: skip


def bench_raw_postgres(url: str, rows: list[dict[str, Any]], *, copy: bool) -> float:
    """Seconds for raw psycopg: executemany of the upsert, or COPY into the empty table."""
    import psycopg

    values = pg_tuples(rows)
    columns = RAW_SQL.split("(", 1)[1].split(")", 1)[0]
    with psycopg.connect(conninfo(url)) as connection:
        started = time.perf_counter()
        for offset in range(0, len(values), BATCH):
            batch = values[offset : offset + BATCH]
            with connection.transaction(), connection.cursor() as cursor:
                if copy:
                    with cursor.copy(f"COPY usage_buckets ({columns}) FROM STDIN") as pipe:
                        for row in batch:
                            pipe.write_row(row)
                else:
                    cursor.executemany(RAW_SQL.replace("?", "%s"), batch)
        return time.perf_counter() - started


def conninfo(url: str) -> str:
    """A libpq URL from a SQLAlchemy one."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def drop_database(connection: Any, name: str) -> None:
    """Drop a bench database; autovacuum (another role) may still be analysing it."""
    for _ in range(30):
        try:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            time.sleep(1)
    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database (dropped afterwards); yields its URL."""
    admin = normalise_url(admin_url)
    name = f"golocal_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin.set(database=name).render_as_string(hide_password=False)
        migrated = create_database_engine(url)
        migrate.upgrade(migrated)  # `golocal db upgrade`
        migrated.dispose()
        yield url
    finally:
        with engine.connect() as connection:
            drop_database(connection, name)
        engine.dispose()


def report(label: str, seconds: list[float], count: int, baseline: list[float] | None) -> None:
    median = statistics.median(seconds)
    line = f"  {label:<34} {median:7.2f} s {count / median:12,.0f} rows/s"
    if baseline is not None:
        ratios = [s / b for s, b in zip(seconds, baseline, strict=True)]  # rate ratio
        line += f"   golocal/this {statistics.median(ratios):5.2f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres-url", default=os.environ.get("GOLOCAL_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    rows = make_rows(args.rows)
    print(f"{args.rows:,} usage-bucket rows, median of {args.repeat} rounds")
    golocal_s: list[float] = []
    raw_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):  # alternate, so a busy neighbour slows both alike
            folder = Path(tmp) / str(round_)
            folder.mkdir()
            golocal_s.append(
                bench_golocal(f"sqlite:///{folder / 'golocal.db'}", rows, check=round_ == 0)
            )
            raw_s.append(bench_raw_sqlite(folder / "raw.db", rows))
            for path in folder.iterdir():
                path.unlink()
    ratios = [raw / mine for mine, raw in zip(golocal_s, raw_s, strict=True)]
    print("SQLite")
    report("golocal upsert", golocal_s, args.rows, None)
    report("raw sqlite3 executemany upsert", raw_s, args.rows, None)
    ratio = statistics.median(ratios)
    print(f"  ratio golocal/raw (median)        {ratio:7.2f}  (target >= {TARGET_RATIO})")
    if not args.postgres_url:
        print("PostgreSQL: skipped (no --postgres-url or GOLOCAL_TEST_POSTGRES_URL)")
        return
    pg: dict[str, list[float]] = {"golocal": [], "executemany": [], "copy": []}
    for round_ in range(args.repeat):
        with fresh_postgres(args.postgres_url) as url:
            pg["golocal"].append(bench_golocal(url, rows, check=round_ == 0))
        with fresh_postgres(args.postgres_url) as url:
            pg["executemany"].append(bench_raw_postgres(url, rows, copy=False))
        with fresh_postgres(args.postgres_url) as url:
            pg["copy"].append(bench_raw_postgres(url, rows, copy=True))
    print("PostgreSQL")
    report("golocal upsert", pg["golocal"], args.rows, None)
    report("raw psycopg executemany upsert", pg["executemany"], args.rows, pg["golocal"])
    report("raw psycopg COPY (insert only)", pg["copy"], args.rows, pg["golocal"])


if __name__ == "__main__":
    main()
