"""GPU samples (from an agent, dcgm-exporter or Prometheus) into minute rows and rollups.

Each sample stands for one collection interval: a throttled or saturated sample adds that
many seconds. Energy comes from the GPU's cumulative counter (increases between samples,
with the same reset rule as any counter); without a counter it stays NULL and reports
estimate it from mean power, flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from golocal.db.database import Database
from golocal.db.rollups import GPU, merge_minutes, rollup_telemetry
from golocal.db.telemetry import GpuSeen, mark_gpu_lost, register_gpus
from golocal.jobs.sources.gpu_metrics import GpuPoint

#: A GPU is saturated while utilisation and memory use are both at least this high.
UTIL_SATURATED = 90.0
MEMORY_SATURATED = 0.9


def gpu_key(point: GpuPoint) -> str:
    """The key a GPU's energy baseline is kept under: ``host/uuid`` (or ``host/index``)."""
    return f"{point.host}/{point.uuid or point.index}"


def inventory_uuid(point: GpuPoint) -> str:
    """The uuid a GPU is registered under (its index where the source gave no uuid)."""
    return point.uuid or f"index-{point.index}"


def _rounded(value: float | None) -> int | None:
    return None if value is None else round(value)


def _minute_row(
    gpu_id: int, point: GpuPoint, energy_j: float | None, interval: float
) -> dict[str, Any]:
    at = datetime.fromtimestamp(point.at, UTC).replace(second=0, microsecond=0)
    total = point.memory_total_mib
    row: dict[str, Any] = {
        "gpu_id": gpu_id,
        "minute": at,
        "samples": 1,
        "util_mean": point.util_percent,
        "util_max": point.util_percent,
        "mem_util_mean": point.mem_util_percent,
        "mem_used_mean_mib": point.mem_used_mib,
        "mem_used_max_mib": point.mem_used_mib,
        "power_mean_w": point.power_w,
        "power_max_w": point.power_w,
        "energy_j": energy_j,
        "temp_max_c": point.temperature_c,
        "throttled_s": None if point.throttled is None else interval * (point.throttled > 0),
        "saturated_s": None,
    }
    if point.util_percent is not None and point.mem_used_mib is not None and total:
        saturated = (
            point.util_percent >= UTIL_SATURATED and point.mem_used_mib >= MEMORY_SATURATED * total
        )
        row["saturated_s"] = interval if saturated else 0.0
    return row


def minute_rows(
    points: Iterable[GpuPoint],
    ids: Mapping[str, int],
    energy: dict[str, float],
    interval: float,
) -> list[dict[str, Any]]:
    """One minute-row sample per point of a GPU in ``ids`` (by :func:`gpu_key`), lost ones
    left out; ``energy`` (each GPU's last counter reading, J) is read and advanced.

    ``points`` must be in (GPU, time) order: the rows are merged in that order, and a
    minute's means depend on it. Collection and on-demand reads of a Prometheus fleet
    both make their rows here, so they agree sample for sample.
    """
    rows = []
    for point in points:
        key = gpu_key(point)
        if point.lost or key not in ids:
            continue
        used = None
        if point.energy_j is not None:
            before = energy.get(key)
            if before is not None:
                used = point.energy_j if point.energy_j < before else point.energy_j - before
            energy[key] = point.energy_j
        rows.append(_minute_row(ids[key], point, used, interval))
    return rows


def store_gpu_points(
    database: Database,
    source: str,
    points: Iterable[GpuPoint],
    energy_state: Mapping[str, float] | None,
    *,
    interval: float,
) -> tuple[int, dict[str, float]]:
    """Register the GPUs, merge one minute-row sample per point, roll up the touched hours.

    Args:
        energy_state: each GPU's last cumulative energy reading (J), from the previous call.

    Returns:
        (minute samples written, the new energy state).
    """
    energy = dict(energy_state or {})
    ordered = sorted(points, key=lambda p: (gpu_key(p), p.at))
    latest: dict[str, GpuPoint] = {}
    first_live: dict[str, GpuPoint] = {}
    for point in ordered:
        key = gpu_key(point)
        latest[key] = point  # ordered by time within a GPU: the last one stays
        if not point.lost:
            first_live.setdefault(key, point)
    # every GPU of the collection registered in one transaction (a fleet has thousands)
    registered = register_gpus(
        database,
        source,
        [
            GpuSeen(
                host=point.host,
                gpu_index=point.index,
                uuid=inventory_uuid(point),
                name=point.name,
                memory_total_mib=_rounded(point.memory_total_mib),
                power_limit_w=point.power_limit_w,
                seen_at=datetime.fromtimestamp(latest[key].at, UTC),
                parent_uuid=point.parent_uuid,
                mig_profile=point.mig_profile,
            )
            for key, point in first_live.items()
        ],
    )
    ids = {
        key: registered[(point.host, inventory_uuid(point))] for key, point in first_live.items()
    }
    for point in latest.values():
        if point.lost:  # the GPU's latest state in this collection
            mark_gpu_lost(
                database,
                source=source,
                host=point.host,
                gpu_index=point.index,
                uuid=point.uuid,
                seen_at=datetime.fromtimestamp(point.at, UTC),
            )
    rows = minute_rows(ordered, ids, energy, interval)
    if rows:
        merge_minutes(database, GPU, rows)
        first = min(row["minute"] for row in rows)
        last = max(row["minute"] for row in rows)
        rollup_telemetry(database, first, last + timedelta(minutes=1), specs=(GPU,))
    return len(rows), energy
