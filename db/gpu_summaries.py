"""The per-GPU summary of a report range, read from the coarsest rollups that cover it.

A range of whole UTC days is read from month rows inside it, whole weeks at its edges and
days for the rest (:func:`rollup_segments`), so a year costs about a dozen rows per GPU
where a week costs up to seven. The GPU columns are read as plain rows (no ORM objects):
building a thousand ORM instances cost more than the query itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select

from golocal.db.database import Database
from golocal.db.models import Gpu, GpuRollup
from golocal.db.plans import serial_plan
from golocal.db.rollups import floor_month, floor_week, next_month


@dataclass(frozen=True, slots=True)
class GpuSummary:
    """One GPU over a report range, from its daily rollups."""

    source: str
    host: str
    gpu_index: int
    uuid: str
    name: str
    memory_total_mib: int | None
    minutes: int
    util_mean: float | None
    util_max: float | None
    mem_used_mean_mib: float | None
    mem_used_max_mib: float | None
    power_mean_w: float | None
    power_max_w: float | None
    energy_kwh: float | None
    #: True when some of the energy is estimated from mean power (no energy counter).
    energy_estimated: bool
    temp_max_c: float | None
    saturated_minutes: float | None
    throttled_minutes: float | None
    lost: bool
    last_seen: datetime
    #: a MIG instance: the physical GPU it is carved from, and its profile
    parent_uuid: str | None = None
    mig_profile: str | None = None


def _has_days(connection: Connection, start: datetime, end: datetime) -> bool:
    """Whether any day row starts in ``[start, end)``.

    Ordered as the ``(resolution, bucket_start)`` index is: a bare ``LIMIT 1`` let
    PostgreSQL, which overestimates recent day rows on a year of data (hour rows crowd
    the last weeks), scan the table for its first match: most of it, 56-90 ms a probe.
    """
    r = GpuRollup
    query = (
        select(r.bucket_start)
        .where(r.resolution == "day", r.bucket_start >= start, r.bucket_start < end)
        .order_by(r.resolution, r.bucket_start)
        .limit(1)
    )
    return connection.execute(query).first() is not None


Segment = tuple[str, datetime, datetime]


def _week_segments(connection: Connection, start: datetime, end: datetime) -> list[Segment]:
    """Whole weeks inside ``[start, end)`` and the days around them."""
    if start >= end:
        return []
    first = floor_week(start)
    if first < start and _has_days(connection, first, start):
        first += timedelta(days=7)
    last = floor_week(end)
    if last < end and not _has_days(connection, end, last + timedelta(days=7)):
        last += timedelta(days=7)
    if first >= last:
        return [("day", start, end)]
    segments: list[Segment] = []
    if start < first:
        segments.append(("day", start, first))
    segments.append(("week", first, last))
    if last < end:
        segments.append(("day", last, end))
    return segments


def rollup_segments(connection: Connection, since: datetime, until: datetime) -> list[Segment]:
    """The coarsest rollup rows that cover ``[since, until)`` (UTC midnights) exactly:
    months inside it, then whole weeks at the edges, then days.

    A month or week the range only partly covers still comes from its own row when the
    rest of it holds no data (the usual "until today" and "since collection began" edges):
    such a row is exactly the sum of the days in the range.
    """
    first = floor_month(since)
    if first < since and _has_days(connection, first, since):
        first = next_month(since)
    last = floor_month(until)
    if last < until and not _has_days(connection, until, next_month(until)):
        last = next_month(until)
    if first >= last:
        return _week_segments(connection, since, until)
    return [
        *_week_segments(connection, since, first),
        ("month", first, last),
        *_week_segments(connection, last, until),
    ]


def _covering(segments: list[Segment]) -> Any:
    r = GpuRollup
    return or_(
        *(
            and_(r.resolution == resolution, r.bucket_start >= start, r.bucket_start < end)
            for resolution, start, end in segments
        )
    )


def gpu_summaries(database: Database, since: datetime, until: datetime) -> list[GpuSummary]:
    """Per-GPU utilisation, memory, power, energy and saturation for ``[since, until)``.

    ``since`` and ``until`` are UTC midnights. Reads the coarsest rollups that cover the
    range (:func:`rollup_segments`), so the cost of a report grows with the number of GPUs,
    never with minutes, and barely with the length of the range. GPUs with no data in the
    range are listed too (with ``minutes == 0``), so a silent GPU is visible.
    """
    r = GpuRollup
    weight = r.samples  # sample-weighted, as the rollups are

    def mean(column: Any) -> Any:
        reported = func.sum(case((column.is_not(None), weight), else_=literal(None)))
        return func.sum(column * weight) / func.nullif(reported, 0)

    estimated = func.sum(
        case((r.energy_j.is_(None), r.power_mean_w * r.minutes * 60), else_=literal(None))
    )
    with database.engine.connect() as connection:
        serial_plan(connection)
        covering = _covering(rollup_segments(connection, since, until))
        aggregates = (
            select(
                r.gpu_id.label("gpu_id"),
                func.sum(r.minutes).label("minutes"),
                mean(r.util_mean).label("util_mean"),
                func.max(r.util_max).label("util_max"),
                mean(r.mem_used_mean_mib).label("mem_mean"),
                func.max(r.mem_used_max_mib).label("mem_max"),
                mean(r.power_mean_w).label("power_mean"),
                func.max(r.power_max_w).label("power_max"),
                func.sum(r.energy_j).label("energy_measured"),
                estimated.label("energy_estimated"),
                func.max(r.temp_max_c).label("temp_max"),
                func.sum(r.saturated_s).label("saturated_s"),
                func.sum(r.throttled_s).label("throttled_s"),
            )
            .where(covering)
            .group_by(r.gpu_id)
            .subquery()
        )
        a = aggregates.c
        query = (
            select(
                Gpu.source,
                Gpu.host,
                Gpu.gpu_index,
                Gpu.uuid,
                Gpu.name,
                Gpu.memory_total_mib,
                a.minutes,
                a.util_mean,
                a.util_max,
                a.mem_mean,
                a.mem_max,
                a.power_mean,
                a.power_max,
                a.energy_measured,
                a.energy_estimated,
                a.temp_max,
                a.saturated_s,
                a.throttled_s,
                Gpu.lost,
                Gpu.last_seen,
                Gpu.parent_uuid,
                Gpu.mig_profile,
            )
            .outerjoin(aggregates, a.gpu_id == Gpu.id)
            # GPUs with data in the range, and those known during it that sent none
            .where(or_(a.gpu_id.is_not(None), and_(Gpu.first_seen < until, Gpu.last_seen >= since)))
            .order_by(Gpu.host, Gpu.gpu_index, Gpu.uuid)
        )
        rows = connection.execute(query).all()
    return [_summary(*row) for row in rows]


def _summary(
    source: str, host: str, gpu_index: int, uuid: str, name: str, memory_total_mib: int | None,
    minutes: int | None, util_mean: float | None, util_max: float | None,
    mem_mean: float | None, mem_max: float | None, power_mean: float | None,
    power_max: float | None, energy_measured: float | None, energy_estimated: float | None,
    temp_max: float | None, saturated_s: float | None, throttled_s: float | None, lost: bool,
    last_seen: datetime, parent_uuid: str | None, mig_profile: str | None,
) -> GpuSummary:  # fmt: skip
    joules = [v for v in (energy_measured, energy_estimated) if v is not None]
    return GpuSummary(
        source=source,
        host=host,
        gpu_index=gpu_index,
        uuid=uuid,
        name=name,
        memory_total_mib=memory_total_mib,
        minutes=int(minutes or 0),
        util_mean=util_mean,
        util_max=util_max,
        mem_used_mean_mib=mem_mean,
        mem_used_max_mib=mem_max,
        power_mean_w=power_mean,
        power_max_w=power_max,
        energy_kwh=sum(joules) / 3.6e6 if joules else None,
        energy_estimated=energy_estimated is not None,
        temp_max_c=temp_max,
        saturated_minutes=_minutes(saturated_s),
        throttled_minutes=_minutes(throttled_s),
        lost=lost,
        last_seen=last_seen,
        parent_uuid=parent_uuid,
        mig_profile=mig_profile,
    )


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else float(seconds) / 60
