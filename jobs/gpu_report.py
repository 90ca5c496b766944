"""The per-GPU report: utilisation, memory, power, energy, saturation, lost/stale GPUs.

Built from :func:`golocal.db.gpu_summaries.gpu_summaries` (daily rollups), so the cost of a
year-long report is the cost of a week's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from golocal.db.database import Database
from golocal.db.gpu_summaries import GpuSummary, gpu_summaries

#: A GPU not reported for this long before the end of the range (or now) is stale.
STALE_AFTER = timedelta(hours=1)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True, slots=True)
class GpuReport:
    """Every GPU over ``[since, until)`` (UTC days)."""

    since: date
    until: date
    gpus: list[GpuSummary]
    stale: frozenset[int]

    @property
    def energy_kwh(self) -> float | None:
        values = [g.energy_kwh for g in self.gpus if g.energy_kwh is not None]
        return sum(values) if values else None

    @property
    def physical_gpus(self) -> int:
        """GPUs, not devices: a MIG instance counts as part of its parent GPU."""
        return len({(g.host, g.parent_uuid or g.uuid) for g in self.gpus})

    @property
    def mig_instances(self) -> int:
        return sum(1 for g in self.gpus if g.parent_uuid)

    def _memory_total(self, attribute: str) -> float | None:
        """Memory summed over devices; a GPU split into MIG instances counts as its instances
        (its own reading would count the same memory twice)."""
        split = {(g.host, g.parent_uuid) for g in self.gpus if g.parent_uuid}
        values = [
            getattr(g, attribute)
            for g in self.gpus
            if getattr(g, attribute) is not None and (g.host, g.uuid) not in split
        ]
        return sum(values) if values else None

    def gpu_json(self, position: int, gpu: GpuSummary) -> dict[str, Any]:
        return {
            "host": gpu.host,
            "gpu": gpu.gpu_index,
            "uuid": gpu.uuid,
            "name": gpu.name,
            "parent_uuid": gpu.parent_uuid,
            "mig_profile": gpu.mig_profile,
            "source": gpu.source,
            "minutes": gpu.minutes,
            "util_mean_percent": _round(gpu.util_mean),
            "util_peak_percent": _round(gpu.util_max),
            "memory_total_mib": gpu.memory_total_mib,
            "memory_used_mean_mib": _round(gpu.mem_used_mean_mib, 0),
            "memory_used_peak_mib": _round(gpu.mem_used_max_mib, 0),
            "power_mean_w": _round(gpu.power_mean_w),
            "power_peak_w": _round(gpu.power_max_w),
            "energy_kwh": _round(gpu.energy_kwh, 3),
            "energy_estimated": gpu.energy_estimated,
            "temperature_peak_c": _round(gpu.temp_max_c),
            "saturated_minutes": _round(gpu.saturated_minutes),
            "throttled_minutes": _round(gpu.throttled_minutes),
            "lost": gpu.lost,
            "stale": position in self.stale,
            "last_seen": gpu.last_seen.isoformat(),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "gpus": [self.gpu_json(i, gpu) for i, gpu in enumerate(self.gpus)],
            "totals": {
                "gpus": self.physical_gpus,
                "devices": len(self.gpus),
                "mig_instances": self.mig_instances,
                "memory_total_mib": self._memory_total("memory_total_mib"),
                "memory_used_mean_mib": _round(self._memory_total("mem_used_mean_mib"), 0),
                "energy_kwh": _round(self.energy_kwh, 3),
                "lost": sum(1 for g in self.gpus if g.lost),
                "stale": len(self.stale),
            },
        }


def build_gpu_report(
    database: Database, since: date, until: date, *, now: datetime | None = None
) -> GpuReport:
    """The GPU report for UTC days ``since <= day < until``."""
    now = now or datetime.now(UTC)
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    gpus = gpu_summaries(database, start, end)
    horizon = min(end, now) - STALE_AFTER
    stale = frozenset(i for i, gpu in enumerate(gpus) if not gpu.lost and gpu.last_seen < horizon)
    return GpuReport(since=since, until=until, gpus=gpus, stale=stale)
