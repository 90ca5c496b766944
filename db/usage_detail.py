"""Token totals (input, cached input, cache writes, output) per day and usage dimension.

The chat's ``tokens`` answer and the coverage every usage answer names ("23 of 30 days have
data") read these. Rows are grouped by UTC day and by the dimensions a question may narrow
to (provider, model, project, API key, the source's team), so the caller applies a team
through the one attribution rule instead of a second one written in SQL. A column no bucket
reported stays ``None`` (never 0), and each row says how many of its buckets did not report
cached tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select

from golocal.db.database import Database
from golocal.db.models import UsageBucket
from golocal.db.sqlfuncs import utc_day

#: The dimensions narrowed in SQL (a team is applied by the caller, through the mappings).
FILTER_COLUMNS = ("provider", "model", "project", "api_key")


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One UTC day's tokens of one (provider, model, project, key, stored team)."""

    day: date
    provider: str
    model: str
    project: str
    api_key: str
    team: str | None
    input_tokens: int | None
    cached_input_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None
    #: buckets that did not report cached input tokens (older schemas, other APIs)
    buckets_without_cached: int
    buckets: int


def _where(since: date, until: date, filters: dict[str, str]) -> list[Any]:
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    clauses = [UsageBucket.bucket_start >= start, UsageBucket.bucket_start < end]
    for name, value in filters.items():
        if name not in FILTER_COLUMNS:
            raise ValueError(f"unknown usage filter {name!r}")
        clauses.append(getattr(UsageBucket, name) == value)
    return clauses


def _whole(value: Any) -> int | None:
    return None if value is None else int(value)


def token_rows(
    database: Database, since: date, until: date, filters: dict[str, str] | None = None
) -> list[TokenRow]:
    """Token totals per UTC day and dimension for ``since <= day < until``, in SQL."""
    day = utc_day(UsageBucket.bucket_start).label("day")
    dimensions = (
        UsageBucket.provider,
        UsageBucket.model,
        UsageBucket.project,
        UsageBucket.api_key,
        UsageBucket.team,
    )
    missing_cached = case((UsageBucket.cached_input_tokens.is_(None), 1), else_=literal(0))
    query = (
        select(
            day,
            *dimensions,
            func.sum(UsageBucket.input_tokens),
            func.sum(UsageBucket.cached_input_tokens),
            func.sum(UsageBucket.cache_write_tokens),
            func.sum(UsageBucket.output_tokens),
            func.coalesce(func.sum(missing_cached), 0),
            func.count(),
        )
        .where(and_(*_where(since, until, filters or {})))
        .group_by(day, *dimensions)
        .order_by(day)
    )
    with database.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        TokenRow(
            day=date.fromisoformat(row[0]),
            provider=row[1],
            model=row[2],
            project=row[3],
            api_key=row[4],
            team=row[5],
            input_tokens=_whole(row[6]),
            cached_input_tokens=_whole(row[7]),
            cache_write_tokens=_whole(row[8]),
            output_tokens=_whole(row[9]),
            buckets_without_cached=int(row[10]),
            buckets=int(row[11]),
        )
        for row in rows
    ]
