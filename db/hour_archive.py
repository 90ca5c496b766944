"""Hourly rollups older than a few weeks, packed into one row per GPU (server) per UTC day.

A year of hourly rows for 1,024 GPUs is 9 million rows, about 2 GB on SQLite or PostgreSQL:
row headers, keys and indexes outweigh the figures. Once a day is older than
``retention.pack_hours_after_days`` its hour rows are packed into one ``*_hour_archive`` row
(``hours``: a compressed binary record) and deleted, in one transaction per day, so the
hours of that day are either rows or packed, never both, never neither. Daily, weekly and
monthly rollups are computed from the hour rows before that and stay exact.

The record (format 1): one byte of format, then zlib of: a 24-bit mask of the hours present
(``<I``), and for each column (``minutes``, ``samples``, then the spec's sums, maxima and
means in that order) a 24-bit mask of the present hours whose value is NULL followed by the
other values of the present hours in hour order: integer columns (counts, tokens) as exact
64-bit integers, measurements as 32-bit floats, read back to seven significant digits
(finer than any sensor golocal reads: 80.9 °C stays 80.9). NULL stays NULL, never 0.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Integer, and_, delete, func, select

from golocal.db.database import Database
from golocal.db.rollups import AggregateSpec, floor_day

FORMAT = 1
_FULL = (1 << 24) - 1
#: records are little-endian whatever the machine that writes or reads them
_SWAP = sys.byteorder != "little"


class ArchiveFormatError(ValueError):
    """A packed day this version of golocal cannot read."""


def columns_of(spec: AggregateSpec) -> tuple[str, ...]:
    """The packed columns, in record order."""
    return ("minutes", "samples", *spec.sums, *spec.maxes, *spec.means)


def _is_integer(spec: AggregateSpec, name: str) -> bool:
    return isinstance(spec.rollup.__table__.columns[name].type, Integer)


def _decimal(value: float) -> float:
    """The shortest decimal within a 32-bit float's precision (seven significant digits)."""
    return float(f"{value:.7g}")


def _mask(hours: Iterable[int]) -> int:
    mask = 0
    for hour in hours:
        mask |= 1 << hour
    return mask


def _hours_in(mask: int) -> list[int]:
    return [hour for hour in range(24) if mask >> hour & 1]


def pack_hours(spec: AggregateSpec, hours: Mapping[int, Mapping[str, Any]]) -> bytes:
    """Pack one day's hour rows (``{hour of day: {column: value}}``) into a record."""
    if not hours or any(not 0 <= hour < 24 for hour in hours):
        raise ValueError("a packed day holds 1 to 24 hours numbered 0-23")
    present = sorted(hours)
    payload = bytearray(_mask(present).to_bytes(4, "little"))
    for name in columns_of(spec):
        values = [hours[hour].get(name) for hour in present]
        nulls = _mask(hour for hour, value in zip(present, values, strict=True) if value is None)
        payload += nulls.to_bytes(4, "little")
        kept = [value for value in values if value is not None]
        typed = array("q", map(int, kept)) if _is_integer(spec, name) else array("f", kept)
        if _SWAP:
            typed.byteswap()
        payload += typed.tobytes()
    return bytes([FORMAT]) + zlib.compress(bytes(payload), 6)


def pack_hour_columns(
    spec: AggregateSpec, columns: Mapping[str, Sequence[Any]]
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Split rollup rows given as columns (``spec.key``, ``resolution``, ``bucket_start``,
    …) into the rows that are not hours and the packed days of the hours, as columns of
    ``spec.archive`` — what retention would leave of them, without the round trip."""
    names = list(columns)
    kept: dict[str, list[Any]] = {name: [] for name in names}
    days: dict[tuple[int, datetime], dict[int, dict[str, Any]]] = {}
    for values in zip(*(columns[name] for name in names), strict=True):
        row = dict(zip(names, values, strict=True))
        if row["resolution"] != "hour":
            for name in names:
                kept[name].append(row[name])
            continue
        at = row["bucket_start"]
        days.setdefault((row[spec.key], floor_day(at)), {})[at.hour] = row
    packed: dict[str, list[Any]] = {"day": [], spec.key: [], "hours": []}
    for (key, day), hours in days.items():
        packed["day"].append(day)
        packed[spec.key].append(key)
        packed["hours"].append(pack_hours(spec, hours))
    return kept, packed


def unpack_hours(spec: AggregateSpec, record: bytes) -> dict[int, dict[str, Any]]:
    """The hour rows of a packed day, ``{hour of day: {column: value}}``."""
    if not record or record[0] != FORMAT:
        raise ArchiveFormatError(f"packed hours of format {record[:1].hex() or 'none'}")
    payload = memoryview(zlib.decompress(record[1:]))
    present = _hours_in(int.from_bytes(payload[:4], "little") & _FULL)
    rows: dict[int, dict[str, Any]] = {hour: {} for hour in present}
    at = 4
    for name in columns_of(spec):
        nulls = int.from_bytes(payload[at : at + 4], "little")
        at += 4
        typed = array("q") if _is_integer(spec, name) else array("f")
        count = sum(1 for hour in present if not nulls >> hour & 1)
        size = count * typed.itemsize
        typed.frombytes(payload[at : at + size])
        if _SWAP:
            typed.byteswap()
        at += size
        # a 32-bit float read back as the decimal it stands for: 80.9, not 80.9000015258789
        values = iter(typed.tolist() if typed.typecode == "q" else map(_decimal, typed))
        for hour in present:
            rows[hour][name] = None if nulls >> hour & 1 else next(values)
    if at != len(payload):
        raise ArchiveFormatError("packed hours longer than their columns")
    return rows


def null_sum(total: Any, value: Any) -> Any:
    """A SUM that stays NULL until something is reported, as SQL's does: for adding
    archived hours to what a query summed over rows."""
    return total if value is None else (total or 0) + value


@dataclass(frozen=True, slots=True)
class ArchivedHour:
    """One hour of one GPU (server) read back from the archive."""

    key: int
    hour: datetime
    values: dict[str, Any]


def archived_hours(
    connection: Connection,
    spec: AggregateSpec,
    start: datetime,
    end: datetime,
    keys: Sequence[int] | None = None,
) -> Iterator[ArchivedHour]:
    """The archived hours in ``[start, end)``, by day then key then hour."""
    archive = spec.archive
    key = getattr(archive, spec.key)
    query = select(archive.day, key, archive.hours).where(
        archive.day >= floor_day(start), archive.day < end
    )
    if keys is not None:
        query = query.where(key.in_(keys))
    for day, owner, record in connection.execute(query.order_by(archive.day, key)):
        for hour, values in sorted(unpack_hours(spec, record).items()):
            at = day + timedelta(hours=hour)
            if start <= at < end:
                yield ArchivedHour(int(owner), at, values)


def archive_start(connection: Connection, spec: AggregateSpec) -> datetime | None:
    """The first day whose hours are still rows (``None`` when there are none)."""
    rollup = spec.rollup
    query = select(func.min(rollup.bucket_start)).where(rollup.resolution == "hour")
    first = connection.execute(query).scalar_one()
    return None if first is None else floor_day(first)


def _pack_day(connection: Connection, spec: AggregateSpec, day: datetime) -> int:
    rollup, archive = spec.rollup, spec.archive
    names = columns_of(spec)
    in_day = and_(
        rollup.resolution == "hour",
        rollup.bucket_start >= day,
        rollup.bucket_start < day + timedelta(days=1),
    )
    key = getattr(rollup, spec.key)
    query = (
        select(key, rollup.bucket_start, *(getattr(rollup, n) for n in names))
        .where(in_day)
        .order_by(key, rollup.bucket_start)
    )
    records = []
    for owner, rows in groupby(connection.execute(query), key=lambda row: row[0]):
        hours = {row[1].hour: dict(zip(names, row[2:], strict=True)) for row in rows}
        old = connection.execute(
            select(archive.hours).where(archive.day == day, getattr(archive, spec.key) == owner)
        ).scalar_one_or_none()
        if old is not None:  # an hour that arrived after its day was packed joins the rest
            hours = unpack_hours(spec, old) | hours
            connection.execute(
                delete(archive).where(archive.day == day, getattr(archive, spec.key) == owner)
            )
        records.append({"day": day, spec.key: owner, "hours": pack_hours(spec, hours)})
    if records:
        connection.execute(archive.__table__.insert(), records)
        connection.execute(delete(rollup).where(in_day))
    return len(records)


def pack_old_hours(database: Database, spec: AggregateSpec, before: datetime) -> int:
    """Pack the hour rows of every whole UTC day before ``before`` (one transaction per
    day, so an interrupted run leaves each day either packed or not). Returns the packed
    rows written."""
    cut = floor_day(before)
    with database.engine.begin() as connection:
        day = archive_start(connection, spec)
    packed = 0
    while day is not None and day < cut:
        with database.engine.begin() as connection:
            packed += _pack_day(connection, spec, day)
        day += timedelta(days=1)
    return packed
