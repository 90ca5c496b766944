"""The GPU inventory over a window, from telemetry: which GPUs, how many, where, how busy.

GPUs come from every telemetry source (NVML on this host, ``golocal agent`` nodes, DCGM through
Prometheus); a GPU counts when it was seen during the window and is not flagged lost.
Utilisation and power are minute-weighted means of the daily rollups in the window (the
hourly ones where no day was rolled up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, select

from golocal.db.database import Database
from golocal.db.models import Gpu, GpuRollup, InferenceServer, ServerRollup


@dataclass(frozen=True, slots=True)
class GpuGroup:
    """GPUs of one model (as the driver names it) and memory size seen in the window."""

    name: str
    memory_mib: int | None
    count: int
    hosts: int
    #: minute-weighted mean utilisation (0–1) and power (W per GPU), None when not measured
    util_mean: float | None
    power_mean_w: float | None


def gpu_inventory(database: Database, since: date, until: date) -> list[GpuGroup]:
    """The GPUs seen in ``since <= day < until``, grouped by name and memory, largest first."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    seen = and_(Gpu.last_seen >= start, Gpu.lost.is_(False))
    groups = (
        select(
            Gpu.name,
            Gpu.memory_total_mib,
            func.count(Gpu.id),
            func.count(func.distinct(Gpu.source + "/" + Gpu.host)),
        )
        .where(seen)
        .group_by(Gpu.name, Gpu.memory_total_mib)
    )

    def weighted(resolution: str) -> Any:
        return (
            select(
                Gpu.name,
                Gpu.memory_total_mib,
                func.sum(GpuRollup.util_mean * GpuRollup.minutes),
                func.sum(GpuRollup.power_mean_w * GpuRollup.minutes),
                func.sum(GpuRollup.minutes),
            )
            .join(GpuRollup, GpuRollup.gpu_id == Gpu.id)
            .where(
                seen,
                GpuRollup.resolution == resolution,
                GpuRollup.bucket_start >= start,
                GpuRollup.bucket_start < end,
            )
            .group_by(Gpu.name, Gpu.memory_total_mib)
        )

    with database.engine.connect() as connection:
        counted = connection.execute(groups).all()
        # daily rows (a week of a 1,024-GPU fleet: 7,000 rows, not 172,000 hourly ones);
        # hourly where no day was rolled up
        means = {(row[0], row[1]): row for row in connection.execute(weighted("day"))}
        if not means:
            means = {(row[0], row[1]): row for row in connection.execute(weighted("hour"))}
    result = []
    for name, memory, count, hosts in counted:
        row = means.get((name, memory))
        minutes = float(row[4]) if row and row[4] else 0.0
        util = float(row[2]) / minutes / 100 if row and row[2] is not None and minutes else None
        power = float(row[3]) / minutes if row and row[3] is not None and minutes else None
        result.append(
            GpuGroup(
                name=name or "unknown GPU",
                memory_mib=memory,
                count=int(count),
                hosts=int(hosts),
                util_mean=None if util is None else min(1.0, util),
                power_mean_w=power,
            )
        )
    return sorted(result, key=lambda g: (-g.count, g.name))


@dataclass(frozen=True, slots=True)
class ServerDecode:
    """What one inference server generated over the window, and for how long sequences ran."""

    server: str
    model: str | None
    generation_tokens: int
    #: running sequences × seconds (the integral of the running gauge)
    sequence_seconds: float
    hours: int


def server_decode(database: Database, since: date, until: date) -> list[ServerDecode]:
    """Per server: generated tokens and sequence-seconds over hourly rollups in the window."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    busy = and_(
        ServerRollup.generation_tokens.is_not(None),
        ServerRollup.running_mean > 0,
        ServerRollup.resolution == "hour",
        ServerRollup.bucket_start >= start,
        ServerRollup.bucket_start < end,
    )
    query = (
        select(
            InferenceServer.name,
            InferenceServer.model,
            func.sum(ServerRollup.generation_tokens),
            func.sum(ServerRollup.running_mean * ServerRollup.minutes * 60),
            func.count(),
        )
        .join(ServerRollup, ServerRollup.server_id == InferenceServer.id)
        .where(busy)
        .group_by(InferenceServer.name, InferenceServer.model)
        .order_by(InferenceServer.name)
    )
    with database.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        ServerDecode(row[0], row[1], int(row[2] or 0), float(row[3] or 0.0), int(row[4]))
        for row in rows
        if row[2] and row[3]
    ]
