"""Per-day token totals (input, cached input, cache writes, output) and days with data.

The chat's ``tokens`` answer and the coverage every usage answer names ("23 of 30 days
have data") read these; optional filters narrow them to one provider, model, team or
project. A column no bucket reported stays ``None`` (never 0), and a day whose buckets
reported it only in part says how many did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select

from golocal.db.attribution import list_attributions
from golocal.db.database import Database
from golocal.db.models import UsageBucket
from golocal.db.sqlfuncs import utc_day

#: The dimensions a question may narrow usage to (the names of UsageBucket columns).
FILTER_COLUMNS = ("provider", "model", "team", "project", "api_key")


@dataclass(frozen=True, slots=True)
class TokenDay:
    """One UTC day's tokens over the filtered buckets."""

    day: date
    input_tokens: int | None
    cached_input_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None
    #: buckets that day that did not report cached input tokens (older schemas, other APIs)
    buckets_without_cached: int
    buckets: int


def _team_clause(team: str, database: Database) -> Any:
    """Buckets of ``team``: the source's own team, or a project/key mapped to it."""
    options = [UsageBucket.team == team]
    for entry in list_attributions(database):
        if entry.team != team:
            continue
        column = UsageBucket.api_key if entry.kind == "api_key" else UsageBucket.project
        match = column == entry.external_id
        if entry.provider:
            match = and_(match, UsageBucket.provider == entry.provider)
        options.append(match)
    return or_(*options)


def _where(database: Database, since: date, until: date, filters: dict[str, str]) -> list[Any]:
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    clauses = [UsageBucket.bucket_start >= start, UsageBucket.bucket_start < end]
    for name, value in filters.items():
        if name not in FILTER_COLUMNS:
            raise ValueError(f"unknown usage filter {name!r}")
        if name == "team":
            clauses.append(_team_clause(value, database))
        else:
            clauses.append(getattr(UsageBucket, name) == value)
    return clauses


def token_days(
    database: Database, since: date, until: date, filters: dict[str, str] | None = None
) -> list[TokenDay]:
    """Token totals per UTC day for ``since <= day < until``, aggregated in SQL."""
    day = utc_day(UsageBucket.bucket_start).label("day")
    query = (
        select(
            day,
            func.sum(UsageBucket.input_tokens),
            func.sum(UsageBucket.cached_input_tokens),
            func.sum(UsageBucket.cache_write_tokens),
            func.sum(UsageBucket.output_tokens),
            func.coalesce(
                func.sum(case((UsageBucket.cached_input_tokens.is_(None), 1), else_=literal(0))),
                0,
            ),
            func.count(),
        )
        .where(and_(*_where(database, since, until, filters or {})))
        .group_by(day)
        .order_by(day)
    )
    with database.engine.connect() as connection:
        rows = connection.execute(query).all()

    def whole(value: Any) -> int | None:
        return None if value is None else int(value)

    return [
        TokenDay(
            day=date.fromisoformat(row[0]),
            input_tokens=whole(row[1]),
            cached_input_tokens=whole(row[2]),
            cache_write_tokens=whole(row[3]),
            output_tokens=whole(row[4]),
            buckets_without_cached=int(row[5]),
            buckets=int(row[6]),
        )
        for row in rows
    ]


def days_with_usage(
    database: Database, since: date, until: date, filters: dict[str, str] | None = None
) -> int:
    """How many UTC days in ``since <= day < until`` have any (filtered) usage bucket."""
    day = utc_day(UsageBucket.bucket_start)
    query = select(func.count(func.distinct(day))).where(
        and_(*_where(database, since, until, filters or {}))
    )
    with database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
