"""Bulk inserts of column lists straight through the database driver.

Generating a year of telemetry for a fleet (``golocal demo --profile fleet --days 365``)
writes millions of rows. SQLAlchemy's per-row parameter processing costs several times
what SQLite spends inserting them, so :func:`insert_columns` takes the values column by
column, converts each column with the bind processor SQLAlchemy itself would apply (once
per distinct value where values repeat, such as timestamps), and hands the rows to the
driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. The stored values are exactly
those of a Core ``insert()``; a test checks it on both dialects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, insert

from golocal.db.database import Database

SQLITE_BATCH = 20_000


def insert_columns(
    database: Database, model: type[Any], columns: Mapping[str, Sequence[Any]]
) -> int:
    """Insert the rows whose values ``columns`` holds (name → one value per row).

    Columns left out take their scalar Python default (``default=``), else NULL is refused
    as it would be by the database. Returns the number of rows inserted; all or nothing.
    """
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    count = lengths.pop() if lengths else 0
    if count == 0:
        return 0
    table = model.__table__
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = [*columns, *_defaulted(table, columns)]
            _copy_postgres(
                connection, table.name, names, _converted(connection, table, names, columns, count)
            )
            return count
        compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(columns))
        names = list(compiled.positiontup or [])
        values = _converted(connection, table, names, columns, count)
        rows = list(zip(*values, strict=True))
        sql = str(compiled)
        for offset in range(0, count, SQLITE_BATCH):
            connection.exec_driver_sql(sql, rows[offset : offset + SQLITE_BATCH])
    return count


def _defaulted(table: Any, columns: Mapping[str, Sequence[Any]]) -> list[str]:
    """Columns not given that have a scalar Python default (written explicitly by COPY)."""
    return [
        column.name
        for column in table.columns
        if column.name not in columns and column.default is not None and column.default.is_scalar
    ]


def _converted(
    connection: Connection,
    table: Any,
    names: list[str],
    columns: Mapping[str, Sequence[Any]],
    count: int,
) -> list[list[Any]]:
    """Each named column as the driver receives it, in ``names`` order."""
    out = []
    for name in names:
        column = table.columns[name]
        if name in columns:
            values = list(columns[name])
        elif column.default is not None and column.default.is_scalar:
            values = [column.default.arg] * count
        else:
            raise ValueError(f"{table.name}.{name}: no values and no default")
        dialect = connection.dialect
        process: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(
            dialect
        )
        if process is not None:
            values = _apply(process, values)
        out.append(values)
    return out


def _apply(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``process`` over ``values``: once per distinct value when they repeat."""
    try:
        distinct = set(values)
    except TypeError:  # unhashable values: convert each
        return [process(value) for value in values]
    if len(distinct) * 2 > len(values):
        return [process(value) for value in values]
    memo = {value: process(value) for value in distinct}
    return [memo[value] for value in values]


def _copy_postgres(
    connection: Connection, table_name: str, names: list[str], values: list[list[Any]]
) -> None:
    quoted = ", ".join(f'"{name}"' for name in names)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f'COPY "{table_name}" ({quoted}) FROM STDIN') as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
    finally:
        cursor.close()
