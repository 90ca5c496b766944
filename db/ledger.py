"""The two inputs of the ledger, aggregated in SQL per UTC day: usage lines and billed lines.

Usage lines are usage buckets summed per (day, source, location, provider, model, project,
API key); billed lines are a provider's own cost report summed per (day, source, provider,
project, API key, line item, model). :mod:`golocal.jobs.ledger` turns both into the money
and request counts every surface shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, select

from golocal.db.database import Database
from golocal.db.models import CostLine, UsageBucket
from golocal.db.sqlfuncs import utc_day


@dataclass(frozen=True, slots=True)
class UsageLine:
    """Usage of one (day, source, provider, model, project, API key), as stored."""

    day: date
    source: str
    location: str
    provider: str
    model: str
    project: str
    api_key: str
    #: the team a collector stored (e.g. a gateway's team); attribution may override it
    team: str | None
    requests: int | None
    #: input + output tokens of the buckets that reported no request count
    tokens_without_requests: int
    buckets_without_requests: int
    input_tokens: int | None
    output_tokens: int | None
    #: the cost on the usage buckets (source-reported or price-table estimate); None: unpriced
    cost_usd: Decimal | None
    cost_estimated: bool
    unpriced_buckets: int


@dataclass(frozen=True, slots=True)
class BilledLine:
    """One line of a provider's cost report for one day."""

    day: date
    source: str
    provider: str
    project: str
    api_key: str
    line_item: str
    model: str | None
    amount: Decimal
    currency: str = "USD"


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    return (
        datetime(since.year, since.month, since.day, tzinfo=UTC),
        datetime(until.year, until.month, until.day, tzinfo=UTC),
    )


def usage_lines(database: Database, since: date, until: date) -> list[UsageLine]:
    """Usage per (day, source, provider, model, project, API key) for ``since <= day < until``."""
    start, end = _bounds(since, until)
    day = utc_day(UsageBucket.bucket_start).label("day")
    missing = UsageBucket.requests.is_(None)
    tokens = func.coalesce(UsageBucket.input_tokens, 0) + func.coalesce(
        UsageBucket.output_tokens, 0
    )
    keys = (
        day,
        UsageBucket.source,
        UsageBucket.location,
        UsageBucket.provider,
        UsageBucket.model,
        UsageBucket.project,
        UsageBucket.api_key,
    )
    query = (
        select(
            *keys,
            func.max(UsageBucket.team),
            func.sum(UsageBucket.requests),
            func.coalesce(func.sum(case((missing, tokens), else_=literal(0))), 0),
            func.coalesce(func.sum(case((missing, 1), else_=literal(0))), 0),
            func.sum(UsageBucket.input_tokens),
            func.sum(UsageBucket.output_tokens),
            func.sum(UsageBucket.cost_usd),
            func.max(case((UsageBucket.cost_estimated, 1), else_=literal(0))),
            func.coalesce(func.sum(case((UsageBucket.cost_usd.is_(None), 1), else_=literal(0))), 0),
        )
        .where(and_(UsageBucket.bucket_start >= start, UsageBucket.bucket_start < end))
        .group_by(*keys)
        .order_by(*keys)
    )
    with database.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        UsageLine(
            day=date.fromisoformat(row[0]),
            source=row[1],
            location=row[2],
            provider=row[3],
            model=row[4],
            project=row[5],
            api_key=row[6],
            team=row[7],
            requests=None if row[8] is None else int(row[8]),
            tokens_without_requests=int(row[9]),
            buckets_without_requests=int(row[10]),
            input_tokens=None if row[11] is None else int(row[11]),
            output_tokens=None if row[12] is None else int(row[12]),
            cost_usd=row[13],
            cost_estimated=bool(row[14]),
            unpriced_buckets=int(row[15]),
        )
        for row in rows
    ]


def billed_lines(database: Database, since: date, until: date) -> list[BilledLine]:
    """Cost-report lines per day for ``since <= day < until``, in the currency billed."""
    start, end = _bounds(since, until)
    day = utc_day(CostLine.bucket_start).label("day")
    model = func.coalesce(CostLine.model, "")
    keys = (
        day,
        CostLine.source,
        CostLine.provider,
        CostLine.project,
        CostLine.api_key,
        CostLine.line_item,
        model,
        func.upper(CostLine.currency),
    )
    query = (
        select(*keys, func.sum(CostLine.amount))
        .where(and_(CostLine.bucket_start >= start, CostLine.bucket_start < end))
        .group_by(*keys)
        .order_by(*keys)
    )
    with database.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        BilledLine(
            day=date.fromisoformat(row[0]),
            source=row[1],
            provider=row[2],
            project=row[3],
            api_key=row[4],
            line_item=row[5],
            model=row[6] or None,
            currency=row[7],
            amount=row[8],
        )
        for row in rows
        if row[8] is not None
    ]
