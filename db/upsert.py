"""The batched natural-key upsert that usage buckets and cost lines share.

Re-collecting a window must never double-count, so these tables are written with
``INSERT ... ON CONFLICT (natural key) DO UPDATE`` in the dialect's own syntax, sent in
batches through Core (no ORM objects on the hot path). Each batch commits on its own, so an
error in a later batch keeps what was already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import Connection, func

from golocal.db.database import Database
from golocal.db.types import to_nanos

DEFAULT_BATCH = 5000


@dataclass(frozen=True)
class UpsertTable:
    """How one table is upserted.

    ``keep_when_null`` columns (e.g. a hand-set ``team``) survive a re-collection that sends
    NULL for them. ``sqlite_converters`` (column → driver value) enables the raw-driver
    SQLite path for batches whose rows all have the same keys; leave it empty to always go
    through SQLAlchemy's parameter processing.
    """

    model: type[Any]
    natural_key: tuple[str, ...]
    value_columns: tuple[str, ...]
    defaults: Mapping[str, Any]
    keep_when_null: tuple[str, ...] = ("team",)
    sqlite_converters: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)


def unique_key(model: type[Any], constraint: str) -> tuple[str, ...]:
    """The columns of ``model``'s unique constraint named ``constraint``: the model is the
    one place a natural key is spelled out."""
    for item in model.__table__.constraints:
        if item.name == constraint:
            return tuple(item.columns.keys())
    raise LookupError(f"{model.__tablename__} has no constraint {constraint}")


def batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``rows`` in lists of at most ``size`` items, in order."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def upsert_rows(
    database: Database,
    table: UpsertTable,
    rows: Iterable[Mapping[str, Any]],
    *,
    batch_size: int = DEFAULT_BATCH,
) -> int:
    """Insert or replace ``rows`` by ``table``'s natural key; returns the number sent.

    Missing columns take ``table.defaults``; ``collected_at`` is this call's time unless a
    row gives its own. Rows within one call must have distinct natural keys (PostgreSQL
    refuses to update one row twice in a statement).
    """
    now = datetime.now(UTC)
    fill = {**table.defaults, "collected_at": now}
    sent = 0
    for batch in batches(rows, batch_size):
        with database.engine.begin() as connection:
            statement = _upsert_statement(connection, table)
            if not (
                table.sqlite_converters
                and connection.dialect.name == "sqlite"
                and _execute_sqlite(connection, statement, batch, fill, table.sqlite_converters)
            ):
                connection.execute(statement, [{**fill, **row} for row in batch])
        sent += len(batch)
    return sent


def _upsert_statement(connection: Connection, table: UpsertTable) -> Any:
    insert = dialect_insert(connection)
    stmt = insert(table.model)
    updates: dict[str, Any] = {name: stmt.excluded[name] for name in table.value_columns}
    for name in table.keep_when_null:
        updates[name] = func.coalesce(stmt.excluded[name], getattr(table.model, name))
    return stmt.on_conflict_do_update(index_elements=list(table.natural_key), set_=updates)


def dialect_insert(connection: Connection) -> Any:
    """The connection's dialect's ``insert`` (the one with ``on_conflict_do_*``).

    Imported when first needed: the PostgreSQL dialect costs a command that only reads
    an embedded database some 17 ms at start-up.
    """
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def sqlite_timestamp(value: datetime) -> str:
    """Exactly the text SQLAlchemy's SQLite DATETIME stores for a naive-UTC value."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ", timespec="microseconds")


def sqlite_money(value: Any) -> int:
    """A ``Money`` value as the integer nano-dollars the column stores."""
    if type(value) is Decimal:  # the common case, without to_nanos's call overhead
        return int(value.scaleb(9).to_integral_value())
    if isinstance(value, float):
        raise TypeError("money must be a Decimal, not a float")
    return to_nanos(value if isinstance(value, Decimal) else Decimal(value))


def _execute_sqlite(
    connection: Connection,
    statement: Any,
    rows: list[Mapping[str, Any]],
    fill: Mapping[str, Any],
    converters: Mapping[str, Callable[[Any], Any]],
) -> bool:
    """Send a batch straight to the sqlite3 driver's ``executemany``; False if it cannot.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own insert; the
    statement is still compiled by SQLAlchemy (the same SQL as on the generic path) and the
    converted columns get exactly the values their SQLAlchemy types would bind. A batch in
    which a row lacks a column without a default goes the generic way, which reports it.
    """
    keys = [*fill, *(set().union(*rows) - fill.keys())]
    compiled = statement.compile(dialect=connection.dialect, column_keys=keys)
    columns = []
    # column by column, so the loops stay inside the interpreter's builtins
    for name in compiled.positiontup or []:
        try:
            column = [row[name] for row in rows]
        except KeyError:
            if name not in fill:
                return False
            default = fill[name]
            column = [row.get(name, default) for row in rows]
        convert = converters.get(name)
        if convert is not None:
            if len(set(column[:100])) > 50:  # mostly distinct (money): convert each
                column = [None if value is None else convert(value) for value in column]
            else:  # shared (timestamps, flags): convert each distinct value once
                converted = {value: convert(value) for value in set(column) if value is not None}
                converted[None] = None
                column = [converted[value] for value in column]
        columns.append(column)
    connection.exec_driver_sql(str(compiled), list(zip(*columns, strict=True)))
    return True
