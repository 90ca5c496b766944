"""Hourly rollups of GPUs, read for ``golocal report gpus --by hour``.

Every read of per-GPU hours goes through :func:`gpu_hours`, whichever table holds them
(recent hours as rollup rows, older days packed by :mod:`golocal.db.hour_archive`), so the
callers never learn where an hour is kept.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from golocal.db.database import Database
from golocal.db.hour_archive import archived_hours
from golocal.db.models import GpuRollup
from golocal.db.rollups import GPU

#: ``gpu_ids`` are sent in chunks of this many (bound parameters per statement)
ID_CHUNK = 500


@dataclass(frozen=True, slots=True)
class GpuFigures:
    """What golocal knows of one GPU over a minute or longer; ``None`` = not reported.

    Means are weighted by samples, maxima are the largest sample, ``energy_j`` and the
    ``*_s`` seconds are sums over the samples.
    """

    samples: int
    util_mean: float | None
    util_max: float | None
    mem_util_mean: float | None
    mem_used_mean_mib: float | None
    mem_used_max_mib: float | None
    power_mean_w: float | None
    power_max_w: float | None
    energy_j: float | None
    temp_max_c: float | None
    throttled_s: float | None
    saturated_s: float | None


#: the figures' names, in order
FIGURES = tuple(GpuFigures.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class GpuHour(GpuFigures):
    """One hour of one GPU, as its rollup holds it; ``minutes`` is how many minutes of the
    hour had a sample."""

    gpu_id: int
    hour: datetime
    minutes: int


_VALUES = tuple(getattr(GpuRollup, name) for name in FIGURES)


def gpu_hours(
    database: Database,
    since: datetime,
    until: datetime,
    gpu_ids: Collection[int] | None = None,
) -> list[GpuHour]:
    """The hours ``since <= hour < until`` of every GPU (or of ``gpu_ids``), sorted by
    (gpu, hour)."""
    hour = GpuRollup.bucket_start.label("hour")
    query = select(GpuRollup.gpu_id, hour, GpuRollup.minutes, *_VALUES).where(
        GpuRollup.resolution == "hour",
        GpuRollup.bucket_start >= since,
        GpuRollup.bucket_start < until,
    )
    groups: list[list[int] | None] = [None]
    if gpu_ids is not None:
        ids = sorted(set(gpu_ids))
        groups = [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]
    hours: list[GpuHour] = []
    with database.engine.connect() as connection:
        for group in groups:
            rows = query if group is None else query.where(GpuRollup.gpu_id.in_(group))
            hours.extend(GpuHour(**row._mapping) for row in connection.execute(rows))
            # days older than retention.pack_hours_after_days: their hours are packed
            for packed in archived_hours(connection, GPU, since, until, group):
                figures: dict[str, Any] = {name: packed.values.get(name) for name in FIGURES}
                figures["samples"] = int(figures["samples"] or 0)
                minutes = int(packed.values.get("minutes") or 0)
                at, key = packed.hour, packed.key
                hours.append(GpuHour(**figures, gpu_id=key, hour=at, minutes=minutes))
    hours.sort(key=lambda h: (h.gpu_id, h.hour))
    return hours
