"""Usage buckets: the idempotent bulk upsert and the per-day aggregates reports stand on.

Re-collecting a window must never double-count, so every write goes through
:func:`golocal.db.upsert.upsert_rows` (``INSERT ... ON CONFLICT (natural key) DO UPDATE``,
batched). Aggregation happens in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, delete, func, literal, select

from golocal.db.database import Database
from golocal.db.models import UsageBucket
from golocal.db.sqlfuncs import utc_day
from golocal.db.upsert import (
    DEFAULT_BATCH,
    UpsertTable,
    sqlite_money,
    sqlite_timestamp,
    unique_key,
    upsert_rows,
)

NATURAL_KEY = unique_key(UsageBucket, "uq_usage_buckets_natural_key")
_VALUE_COLUMNS = (
    "location",
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "cost_usd",
    "cost_estimated",
    "collected_at",
)
_DEFAULTS: dict[str, Any] = {
    "provider": "",
    "model": "",
    "project": "",
    "api_key": "",
    "variant": "",
    "team": None,
    "requests": None,
    "input_tokens": None,
    "cached_input_tokens": None,
    "cache_write_tokens": None,
    "output_tokens": None,
    "cost_usd": None,
    "cost_estimated": False,
}
USAGE_TABLE = UpsertTable(
    model=UsageBucket,
    natural_key=NATURAL_KEY,
    value_columns=_VALUE_COLUMNS,
    defaults=_DEFAULTS,
    sqlite_converters={
        "bucket_start": sqlite_timestamp,
        "collected_at": sqlite_timestamp,
        "cost_usd": sqlite_money,
        "cost_estimated": int,
    },
)


def upsert_usage_buckets(
    database: Database,
    rows: Iterable[Mapping[str, Any]],
    *,
    batch_size: int = DEFAULT_BATCH,
) -> int:
    """Insert or replace usage buckets by their natural key; returns the number of rows sent.

    Each row is a mapping with at least ``source``, ``bucket_start`` (aware or naive-UTC
    datetime), ``bucket_seconds`` and ``location``; missing dimensions default to ``''`` and
    missing counts to NULL ("not reported", never 0). Each batch commits on its own, so an
    error in a later batch keeps what was already stored. An attribution set by hand
    survives a re-collection that knows no team.
    """
    return upsert_rows(database, USAGE_TABLE, rows, batch_size=batch_size)


def delete_usage_sources(database: Database, *, prefix: str) -> int:
    """Delete every usage bucket whose source starts with ``prefix``; returns rows deleted."""
    with database.engine.begin() as connection:
        result = connection.execute(
            delete(UsageBucket).where(UsageBucket.source.startswith(prefix, autoescape=True))
        )
    return result.rowcount or 0


@dataclass(frozen=True, slots=True)
class SourceDay:
    """One source's totals for one UTC day, as stored (NULL sums stay ``None``)."""

    day: date
    source: str
    location: str
    requests: int | None
    #: input + output tokens of the buckets that reported no request count
    tokens_without_requests: int
    buckets_without_requests: int
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None
    cost_estimated: bool
    #: the estimated request count, where the ledger already decided it (else estimated here)
    requests_estimate: int | None = None
    #: billed, allocated, estimated, reported, unpriced or none (see golocal.jobs.ledger)
    cost_basis: str = ""


def source_days(database: Database, since: date, until: date) -> list[SourceDay]:
    """Per (UTC day, source) totals for ``since <= day < until``, aggregated in SQL."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    day = utc_day(UsageBucket.bucket_start).label("day")
    missing = UsageBucket.requests.is_(None)
    token_sum = func.coalesce(UsageBucket.input_tokens, 0) + func.coalesce(
        UsageBucket.output_tokens, 0
    )
    query = (
        select(
            day,
            UsageBucket.source,
            UsageBucket.location,
            func.sum(UsageBucket.requests),
            func.coalesce(func.sum(case((missing, token_sum), else_=literal(0))), 0),
            func.coalesce(func.sum(case((missing, 1), else_=literal(0))), 0),
            func.sum(UsageBucket.input_tokens),
            func.sum(UsageBucket.output_tokens),
            func.sum(UsageBucket.cost_usd),
            func.max(case((UsageBucket.cost_estimated, 1), else_=literal(0))),
        )
        .where(and_(UsageBucket.bucket_start >= start, UsageBucket.bucket_start < end))
        .group_by(day, UsageBucket.source, UsageBucket.location)
        .order_by(day, UsageBucket.source)
    )
    with database.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        SourceDay(
            day=date.fromisoformat(row[0]),
            source=row[1],
            location=row[2],
            requests=None if row[3] is None else int(row[3]),
            tokens_without_requests=int(row[4]),
            buckets_without_requests=int(row[5]),
            input_tokens=None if row[6] is None else int(row[6]),
            output_tokens=None if row[7] is None else int(row[7]),
            cost_usd=row[8],
            cost_estimated=bool(row[9]),
        )
        for row in rows
    ]


def count_usage_buckets(database: Database, *, source_prefix: str | None = None) -> int:
    """Number of stored usage buckets (optionally of sources with a prefix)."""
    query = select(func.count()).select_from(UsageBucket)
    if source_prefix is not None:
        query = query.where(UsageBucket.source.startswith(source_prefix, autoescape=True))
    with database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
