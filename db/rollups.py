"""Telemetry minute rows: merging upserts, hourly/daily rollups and retention.

Minute rows (``gpu_minutes``, ``server_minutes``) are written by collection, possibly by
several scrapes in the same minute, so a write *merges* into an existing row: counters and
seconds add up, maxima take the larger value, means are weighted by their samples. Rollups
are recomputed from the finer table with SQL aggregates (idempotent, replace on conflict):
minutes → hours → days → weeks and months (``resolution`` ``'hour'``, ``'day'``,
``'week'`` (ISO, from Monday), ``'month'`` in the rollup tables). Reports read whole months
from the monthly rollups, whole weeks at the edges from the weekly ones and only the last
few days from the daily ones, so a year costs about what a week does. A NULL stays NULL
("not reported") through every step. Retention (:mod:`golocal.db.retention`) later packs
old hours (:mod:`golocal.db.hour_archive`) and deletes what is past its time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, select
from sqlalchemy.sql.expression import ColumnElement

from golocal.db.database import Database
from golocal.db.models import (
    GpuHourArchive,
    GpuMinute,
    GpuRollup,
    ServerHourArchive,
    ServerMinute,
    ServerRollup,
)
from golocal.db.upsert import dialect_insert

BATCH = 5000


@dataclass(frozen=True)
class AggregateSpec:
    """How one telemetry table family aggregates: its key column and column kinds."""

    key: str
    minute: type[Any]
    rollup: type[Any]
    #: where the hours of days older than ``retention.pack_hours_after_days`` are packed
    archive: type[Any]
    sums: tuple[str, ...]
    maxes: tuple[str, ...]
    means: tuple[str, ...]


GPU = AggregateSpec(
    key="gpu_id",
    minute=GpuMinute,
    rollup=GpuRollup,
    archive=GpuHourArchive,
    sums=("energy_j", "throttled_s", "saturated_s"),
    maxes=("util_max", "mem_used_max_mib", "power_max_w", "temp_max_c"),
    means=("util_mean", "mem_util_mean", "mem_used_mean_mib", "power_mean_w"),
)
SERVER = AggregateSpec(
    key="server_id",
    minute=ServerMinute,
    rollup=ServerRollup,
    archive=ServerHourArchive,
    sums=(
        "requests",
        "aborted_requests",
        "failed_requests",
        "prompt_tokens",
        "generation_tokens",
        "latency_sum_s",
        "latency_count",
        "saturated_s",
    ),
    maxes=("running_max", "waiting_max", "kv_cache_max"),
    means=("running_mean", "waiting_mean", "kv_cache_mean"),
)


def _insert(connection: Connection) -> Any:
    return dialect_insert(connection)


def _batches(rows: Iterable[Mapping[str, Any]], size: int = BATCH) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def merge_minutes(
    database: Database, spec: AggregateSpec, rows: Iterable[Mapping[str, Any]]
) -> int:
    """Insert minute rows, merging into rows already stored for the same key and minute.

    Each row needs ``spec.key``, ``minute`` (the start of the minute) and ``samples``;
    absent value columns are NULL. Returns the number of rows sent.
    """
    table = spec.minute
    columns = (*spec.sums, *spec.maxes, *spec.means)
    sent = 0
    for batch in _batches(rows):
        prepared = [{name: row.get(name) for name in columns} | dict(row) for row in batch]
        with database.engine.begin() as connection:
            stmt = _insert(connection)(table)
            new = stmt.excluded
            old_n, new_n = table.samples, new.samples
            updates: dict[str, Any] = {"samples": old_n + new_n}
            for name in spec.sums:
                o, n = getattr(table, name), getattr(new, name)
                updates[name] = func.coalesce(o + n, o, n)
            for name in spec.maxes:
                o, n = getattr(table, name), getattr(new, name)
                updates[name] = func.coalesce(case((n > o, n), else_=o), o, n)
            for name in spec.means:
                o, n = getattr(table, name), getattr(new, name)
                weighted = (o * old_n + n * new_n) / func.nullif(old_n + new_n, 0)
                updates[name] = func.coalesce(weighted, o, n)
            connection.execute(
                stmt.on_conflict_do_update(index_elements=[spec.key, "minute"], set_=updates),
                prepared,
            )
        sent += len(prepared)
    return sent


def _floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(at: datetime) -> datetime:
    """The first instant of ``at``'s UTC day."""
    return _floor_hour(at).replace(hour=0)


def floor_month(at: datetime) -> datetime:
    """The first instant of ``at``'s UTC month."""
    return floor_day(at).replace(day=1)


def floor_week(at: datetime) -> datetime:
    """The first instant of ``at``'s ISO week (Monday, UTC)."""
    day = floor_day(at)
    return day - timedelta(days=day.weekday())


def next_month(at: datetime) -> datetime:
    """The first instant of the UTC month after ``at``'s."""
    start = floor_month(at)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def _aggregate_columns(spec: AggregateSpec, source: Any, weight: Any) -> list[Any]:
    """SUM/MAX columns, and means weighted by ``weight`` over the rows that report them."""
    columns = [func.sum(getattr(source, name)).label(name) for name in spec.sums]
    columns += [func.max(getattr(source, name)).label(name) for name in spec.maxes]
    for name in spec.means:
        value = getattr(source, name)
        reported = func.sum(case((value.is_not(None), weight), else_=literal(None)))
        columns.append((func.sum(value * weight) / func.nullif(reported, 0)).label(name))
    return columns


def _replace_rollups(
    connection: Connection, spec: AggregateSpec, rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    stmt = _insert(connection)(spec.rollup)
    names = [name for name in rows[0] if name not in (spec.key, "resolution", "bucket_start")]
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=[spec.key, "resolution", "bucket_start"],
            set_={name: stmt.excluded[name] for name in names},
        ),
        rows,
    )


def _roll(
    connection: Connection,
    spec: AggregateSpec,
    *,
    resolution: str,
    start: datetime,
    end: datetime,
) -> int:
    """Recompute one hour (from minutes), day (from hours), week or month (from days)."""
    # means are weighted by samples: a minute sampled twice weighs half of one sampled 4 times
    if resolution == "hour":
        source = spec.minute
        time_column, weight = source.minute, source.samples
        where = and_(time_column >= start, time_column < end)
        minutes: ColumnElement[Any] = func.count()
    else:
        source = spec.rollup
        time_column, weight = source.bucket_start, source.samples
        finer = "hour" if resolution == "day" else "day"  # weeks and months from days
        where = and_(source.resolution == finer, time_column >= start, time_column < end)
        minutes = func.sum(source.minutes)
    key = getattr(source, spec.key)
    query = (
        select(
            key.label(spec.key),
            minutes.label("minutes"),
            func.sum(source.samples).label("samples"),
            *_aggregate_columns(spec, source, weight),
        )
        .where(where)
        .group_by(key)
    )
    rows = [
        {**row._asdict(), "resolution": resolution, "bucket_start": start}
        for row in connection.execute(query)
    ]
    for row in rows:
        row["minutes"], row["samples"] = int(row["minutes"]), int(row["samples"] or 0)
        for name in ("requests", "prompt_tokens", "generation_tokens", "latency_count"):
            if row.get(name) is not None:
                row[name] = int(row[name])
    _replace_rollups(connection, spec, rows)
    return len(rows)


def rollup_telemetry(
    database: Database,
    since: datetime,
    until: datetime,
    *,
    specs: Sequence[AggregateSpec] = (GPU, SERVER),
) -> dict[str, int]:
    """Recompute hourly rollups for the hours overlapping ``[since, until)`` from minute
    rows, then the daily rollups of the days they touch from the hourly rows, then the
    weekly and monthly rollups of those days' weeks and months.

    Idempotent: run it as often as minute rows arrive (collection does, for the current
    hour). An hour with no minute rows left (retention) keeps its stored rollup.

    Returns the number of rollup rows written per resolution.
    """
    written = {"hour": 0, "day": 0}
    hour = _floor_hour(since)
    days: list[datetime] = []
    with database.engine.begin() as connection:
        while hour < until:
            for spec in specs:
                written["hour"] += _roll(
                    connection, spec, resolution="hour", start=hour, end=hour + timedelta(hours=1)
                )
            day = floor_day(hour)
            if not days or days[-1] != day:
                days.append(day)
            hour += timedelta(hours=1)
        for day in days:
            for spec in specs:
                written["day"] += _roll(
                    connection, spec, resolution="day", start=day, end=day + timedelta(days=1)
                )
        written |= _roll_weeks_and_months(connection, specs, days)
    return written


def _roll_weeks_and_months(
    connection: Connection, specs: Sequence[AggregateSpec], days: Iterable[datetime]
) -> dict[str, int]:
    written = {"week": 0, "month": 0}
    days = list(days)
    for week in sorted({floor_week(day) for day in days}):
        for spec in specs:
            written["week"] += _roll(
                connection, spec, resolution="week", start=week, end=week + timedelta(days=7)
            )
    for month in sorted({floor_month(day) for day in days}):
        for spec in specs:
            written["month"] += _roll(
                connection, spec, resolution="month", start=month, end=next_month(month)
            )
    return written


def rollup_weeks_and_months(
    database: Database,
    since: datetime,
    until: datetime,
    *,
    specs: Sequence[AggregateSpec] = (GPU, SERVER),
) -> dict[str, int]:
    """Recompute the weekly and monthly rollups overlapping ``[since, until)`` from the
    daily rollups (for data written as daily rollups directly, e.g. ``golocal demo``)."""
    days = []
    day = floor_day(since)
    while day < until:
        days.append(day)
        day += timedelta(days=1)
    with database.engine.begin() as connection:
        return _roll_weeks_and_months(connection, specs, days)
