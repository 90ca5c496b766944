"""Usage buckets: the idempotent bulk upsert and the per-day aggregates reports stand on.

Re-collecting a window must never double-count, so every write is an
``INSERT ... ON CONFLICT (natural key) DO UPDATE`` in the dialect's own syntax, sent in
batches through Core (no ORM objects on the hot path). Aggregation happens in SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from golocal.db.database import Database
from golocal.db.models import UsageBucket
from golocal.db.sqlfuncs import utc_day
from golocal.db.types import to_nanos

NATURAL_KEY = (
    "source",
    "bucket_start",
    "bucket_seconds",
    "provider",
    "model",
    "project",
    "api_key",
    "variant",
)
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
DEFAULT_BATCH = 5000


def _batches(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _upsert_statement(connection: Connection) -> Any:
    dialect = connection.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(UsageBucket)
    updates: dict[str, Any] = {name: stmt.excluded[name] for name in _VALUE_COLUMNS}
    # An attribution set by hand survives a re-collection that knows no team.
    updates["team"] = func.coalesce(stmt.excluded.team, UsageBucket.team)
    return stmt.on_conflict_do_update(index_elements=list(NATURAL_KEY), set_=updates)


def _sqlite_timestamp(value: datetime) -> str:
    """Exactly the text SQLAlchemy's SQLite DATETIME stores for a naive-UTC value."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ", timespec="microseconds")


def _sqlite_money(value: Any) -> int:
    if isinstance(value, float):
        raise TypeError("money must be a Decimal, not a float")
    return to_nanos(value if isinstance(value, Decimal) else Decimal(value))


_SQLITE_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "bucket_start": _sqlite_timestamp,
    "collected_at": _sqlite_timestamp,
    "cost_usd": _sqlite_money,
    "cost_estimated": int,
}


def _execute_sqlite(connection: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Send a batch straight to the sqlite3 driver's ``executemany``.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own insert; the
    statement is still compiled by SQLAlchemy (the same SQL as on the generic path) and the
    converted columns get exactly the values their SQLAlchemy types would bind.
    """
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    names = list(compiled.positiontup or [])
    getter = itemgetter(*names)
    conversions = [
        (position, _SQLITE_CONVERTERS[name], {})
        for position, name in enumerate(names)
        if name in _SQLITE_CONVERTERS
    ]
    params = []
    for row in rows:
        values = list(getter(row))
        for position, convert, memo in conversions:
            value = values[position]
            if value is not None:
                # buckets share timestamps and prices: convert each distinct value once
                try:
                    values[position] = memo[value]
                except KeyError:
                    values[position] = memo[value] = convert(value)
        params.append(tuple(values))
    connection.exec_driver_sql(str(compiled), params)


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
    error in a later batch keeps what was already stored.
    """
    now = datetime.now(UTC)
    sent = 0
    for batch in _batches(rows, batch_size):
        prepared = [{**_DEFAULTS, "collected_at": now, **row} for row in batch]
        with database.engine.begin() as connection:
            statement = _upsert_statement(connection)
            if connection.dialect.name == "sqlite" and _uniform_keys(prepared):
                _execute_sqlite(connection, statement, prepared)
            else:
                connection.execute(statement, prepared)
        sent += len(prepared)
    return sent


def _uniform_keys(rows: list[dict[str, Any]]) -> bool:
    keys = rows[0].keys()
    return all(row.keys() == keys for row in rows)


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
