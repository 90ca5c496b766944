"""Provider cost lines (idempotent upsert) and the estimated-cost rows ``reprice`` rewrites.

Cost lines are what a provider billed, by its own report; like usage buckets they are
written with ``INSERT ... ON CONFLICT (natural key) DO UPDATE``, so a revised day replaces
the old amount and a re-collected window never double-counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update

from golocal.db.database import Database
from golocal.db.models import DEMO_PREFIX, CostLine, UsageBucket
from golocal.db.upsert import DEFAULT_BATCH, UpsertTable, batches, unique_key, upsert_rows

COST_NATURAL_KEY = unique_key(CostLine, "uq_cost_lines_natural_key")
_VALUE_COLUMNS = ("provider", "model", "amount", "currency", "collected_at")
_DEFAULTS: dict[str, Any] = {
    "project": "",
    "api_key": "",
    "line_item": "",
    "model": None,
    "currency": "USD",
    "team": None,
}
COST_TABLE = UpsertTable(
    model=CostLine,
    natural_key=COST_NATURAL_KEY,
    value_columns=_VALUE_COLUMNS,
    defaults=_DEFAULTS,
)


def upsert_cost_lines(
    database: Database, rows: Iterable[Mapping[str, Any]], *, batch_size: int = DEFAULT_BATCH
) -> int:
    """Insert or replace cost lines by their natural key; returns the number of rows sent.

    Each row needs ``source``, ``provider``, ``bucket_start``, ``bucket_seconds`` and
    ``amount`` (a ``Decimal``); missing dimensions default to ``''``. Each batch commits on
    its own. Rows within one call must have distinct natural keys (PostgreSQL refuses to
    update one row twice in a statement).
    """
    return upsert_rows(database, COST_TABLE, rows, batch_size=batch_size)


def cost_line_total(
    database: Database, *, source: str, since: datetime, until: datetime
) -> Decimal | None:
    """The sum of one source's cost lines in ``[since, until)`` (``None`` when none)."""
    query = select(func.sum(CostLine.amount)).where(
        and_(
            CostLine.source == source,
            CostLine.bucket_start >= since,
            CostLine.bucket_start < until,
        )
    )
    with database.engine.connect() as connection:
        return connection.execute(query).scalar_one()


@dataclass(frozen=True, slots=True)
class PricedRow:
    """A usage bucket whose cost golocal estimates (or could not): input to ``reprice``."""

    id: int
    bucket_start: datetime
    provider: str
    model: str
    input_tokens: int | None
    cached_input_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None


def _estimable(since: datetime) -> Any:
    has_tokens = or_(UsageBucket.input_tokens > 0, UsageBucket.output_tokens > 0)
    return and_(
        UsageBucket.bucket_start >= since,
        UsageBucket.location == "cloud",
        ~UsageBucket.source.startswith(DEMO_PREFIX, autoescape=True),
        has_tokens,
        or_(UsageBucket.cost_estimated.is_(True), UsageBucket.cost_usd.is_(None)),
    )


def estimated_usage_rows(database: Database, since: datetime) -> list[PricedRow]:
    """Real (non-demo) cloud buckets since ``since`` whose cost is estimated or unknown."""
    query = select(
        UsageBucket.id,
        UsageBucket.bucket_start,
        UsageBucket.provider,
        UsageBucket.model,
        UsageBucket.input_tokens,
        UsageBucket.cached_input_tokens,
        UsageBucket.cache_write_tokens,
        UsageBucket.output_tokens,
        UsageBucket.cost_usd,
    ).where(_estimable(since))
    with database.engine.connect() as connection:
        return [PricedRow(*row) for row in connection.execute(query)]


def set_estimated_costs(
    database: Database, costs: Sequence[tuple[int, Decimal | None]], *, batch_size: int = 2000
) -> int:
    """Write re-estimated costs by row id; ``None`` marks the row unpriced (not estimated)."""
    stmt = (
        update(UsageBucket)
        .where(UsageBucket.id == bindparam("row_id"))
        .values(cost_usd=bindparam("cost"), cost_estimated=bindparam("estimated"))
    )
    params = [
        {"row_id": row_id, "cost": cost, "estimated": cost is not None} for row_id, cost in costs
    ]
    for batch in batches(params, batch_size):
        with database.engine.begin() as connection:
            connection.execute(stmt, batch)
    return len(params)


def unpriced_models(database: Database, since: datetime) -> list[tuple[str, str]]:
    """(provider, model) pairs since ``since`` that have tokens but no cost at all."""
    query = (
        select(UsageBucket.provider, UsageBucket.model)
        .where(and_(_estimable(since), UsageBucket.cost_usd.is_(None)))
        .group_by(UsageBucket.provider, UsageBucket.model)
        .order_by(UsageBucket.provider, UsageBucket.model)
    )
    with database.engine.connect() as connection:
        return [(row[0], row[1]) for row in connection.execute(query)]
