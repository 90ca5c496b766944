"""The evidence the advisor stands on, aggregated in SQL over one window.

Everything here reads usage buckets and the hourly/daily *rollups* of GPU and inference-server
telemetry (never the per-minute rows while a rollup exists), filtered on indexed start
columns, so the answer's cost depends on the window, not on how much history is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select

from golocal.db.database import Database
from golocal.db.hour_archive import archived_hours, null_sum
from golocal.db.models import (
    AlertIncident,
    Gpu,
    GpuMinute,
    GpuRollup,
    ServerRollup,
)
from golocal.db.plans import serial_plan
from golocal.db.rollups import SERVER


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    return (
        datetime(since.year, since.month, since.day, tzinfo=UTC),
        datetime(until.year, until.month, until.day, tzinfo=UTC),
    )


@dataclass(frozen=True, slots=True)
class ModelUsage:
    """Totals of one (location, source, provider, model, project, API key) over the window."""

    location: str
    source: str
    provider: str
    model: str
    project: str
    api_key: str
    team: str | None
    requests: int | None
    #: input + output tokens of buckets that reported no request count
    tokens_without_requests: int
    input_tokens: int | None
    output_tokens: int | None
    #: NULL-cost buckets are "unpriced", never $0
    cost_usd: Decimal | None
    unpriced_buckets: int
    cost_estimated: bool
    #: requests estimated from tokens by the ledger's one estimator (None: not decided here)
    requests_estimate: int | None = None


@dataclass(frozen=True, slots=True)
class GpuPower:
    """Measured GPU power over the window, from telemetry rollups."""

    gpus: int
    gpu_hours: float
    energy_j: float
    mean_power_w: float | None
    saturated_hours: float
    throttled_hours: float
    resolution: str
    #: mean power / power limit of the GPUs whose limit is known (how hard they were driven)
    load_share: float | None = None


def gpu_power(database: Database, since: date, until: date) -> GpuPower | None:
    """Mean per-GPU power and energy over the window, or ``None`` with no GPU telemetry.

    Reads daily rollups; falls back to hourly rollups, then to minute rows (bounded by the
    window) only where no rollup exists.
    """
    start, end = _bounds(since, until)
    both = and_(GpuRollup.power_mean_w.is_not(None), Gpu.power_limit_w > 0)
    # GPUs and GPU-hours count physical GPUs: a MIG instance is part of its parent
    whole = Gpu.parent_uuid.is_(None)
    # daily rows first: a window of whole days reads 24 times fewer rows (a week of 1,024
    # GPUs is 7,000 rows, not 172,000), and they are what `report gpus` reads
    for resolution in ("day", "hour"):
        query = (
            select(
                func.count(func.distinct(case((whole, GpuRollup.gpu_id), else_=None))),
                func.sum(case((whole, GpuRollup.minutes), else_=0)),
                func.sum(GpuRollup.energy_j),
                func.sum(GpuRollup.power_mean_w * GpuRollup.minutes),
                func.sum(case((GpuRollup.power_mean_w.is_not(None), GpuRollup.minutes), else_=0)),
                func.sum(GpuRollup.saturated_s),
                func.sum(GpuRollup.throttled_s),
                func.sum(case((both, GpuRollup.power_mean_w * GpuRollup.minutes), else_=None)),
                func.sum(case((both, Gpu.power_limit_w * GpuRollup.minutes), else_=None)),
            )
            .join(Gpu, Gpu.id == GpuRollup.gpu_id)
            .where(
                GpuRollup.resolution == resolution,
                GpuRollup.bucket_start >= start,
                GpuRollup.bucket_start < end,
            )
        )
        with database.engine.connect() as connection:
            serial_plan(connection)
            row = connection.execute(query).one()
        if row[0]:
            return _gpu_power(row, resolution)
    minute_both = and_(GpuMinute.power_mean_w.is_not(None), Gpu.power_limit_w > 0)
    query = (
        select(
            func.count(func.distinct(case((whole, GpuMinute.gpu_id), else_=None))),
            func.sum(case((whole, 1), else_=0)),
            func.sum(GpuMinute.energy_j),
            func.sum(GpuMinute.power_mean_w),
            func.count(GpuMinute.power_mean_w),
            func.sum(GpuMinute.saturated_s),
            func.sum(GpuMinute.throttled_s),
            func.sum(case((minute_both, GpuMinute.power_mean_w), else_=None)),
            func.sum(case((minute_both, Gpu.power_limit_w), else_=None)),
        )
        .join(Gpu, Gpu.id == GpuMinute.gpu_id)
        .where(GpuMinute.minute >= start, GpuMinute.minute < end)
    )
    with database.engine.connect() as connection:
        row = connection.execute(query).one()
    return _gpu_power(row, "minute") if row[0] else None


def _gpu_power(row: tuple[Any, ...], resolution: str) -> GpuPower:
    minutes = float(row[1] or 0)
    powered_minutes = float(row[4] or 0)
    return GpuPower(
        gpus=int(row[0]),
        gpu_hours=minutes / 60,
        energy_j=float(row[2] or 0.0),
        mean_power_w=float(row[3]) / powered_minutes
        if row[3] is not None and powered_minutes
        else None,
        saturated_hours=float(row[5] or 0.0) / 3600,
        throttled_hours=float(row[6] or 0.0) / 3600,
        resolution=resolution,
        load_share=min(1.0, float(row[7]) / float(row[8])) if row[7] and row[8] else None,
    )


@dataclass(frozen=True, slots=True)
class ServerLatency:
    """Mean request latency of the local inference servers over the window."""

    requests: int
    mean_seconds: float


def server_latency(database: Database, since: date, until: date) -> ServerLatency | None:
    """Mean end-to-end latency from the servers' histogram sums and counts (hourly
    rollups, rows and packed days alike)."""
    start, end = _bounds(since, until)
    query = select(
        func.sum(ServerRollup.latency_sum_s), func.sum(ServerRollup.latency_count)
    ).where(
        ServerRollup.resolution == "hour",
        ServerRollup.bucket_start >= start,
        ServerRollup.bucket_start < end,
    )
    with database.engine.connect() as connection:
        total, count = connection.execute(query).one()
        for hour in archived_hours(connection, SERVER, start, end):
            total = null_sum(total, hour.values["latency_sum_s"])
            count = null_sum(count, hour.values["latency_count"])
    if not count or total is None:
        return None
    return ServerLatency(requests=int(count), mean_seconds=float(total) / int(count))


def gpu_incident_count(database: Database, since: date, until: date) -> int:
    """Alert incidents about GPUs (rules named ``gpu…``) that started in the window."""
    start, end = _bounds(since, until)
    query = select(func.count()).where(
        AlertIncident.rule.startswith("gpu"),
        AlertIncident.first_seen >= start,
        AlertIncident.first_seen < end,
    )
    with database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
