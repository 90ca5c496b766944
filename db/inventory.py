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
from golocal.db.hour_archive import archived_hours
from golocal.db.models import Gpu, GpuRollup, InferenceServer, ServerRollup
from golocal.db.plans import serial_plan
from golocal.db.rollups import SERVER


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
        serial_plan(connection)
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
    """Per server: generated tokens and sequence-seconds over the busy hours in the window
    (hourly rollups, rows and packed days alike)."""
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
    totals: dict[tuple[str, str | None], list[float]] = {}
    with database.engine.connect() as connection:
        for name, model, tokens, seconds, hours in connection.execute(query):
            totals[(name, model)] = [float(tokens or 0), float(seconds or 0.0), hours]
        servers = select(InferenceServer.id, InferenceServer.name, InferenceServer.model)
        owners = {row[0]: (row[1], row[2]) for row in connection.execute(servers)}
        for hour in archived_hours(connection, SERVER, start, end):
            v = hour.values
            if v["generation_tokens"] is None or not (v["running_mean"] or 0) > 0:
                continue  # the same busy hours as the rows above
            total = totals.setdefault(owners[hour.key], [0.0, 0.0, 0])
            total[0] += v["generation_tokens"]
            total[1] += v["running_mean"] * v["minutes"] * 60
            total[2] += 1
    return [
        ServerDecode(name, model, int(tokens), seconds, int(hours))
        for (name, model), (tokens, seconds, hours) in sorted(
            totals.items(), key=lambda item: item[0][0]
        )
        if tokens and seconds
    ]
