"""Telemetry retention: how long each resolution is kept, and the job that enforces it.

Minute rows go after ``minute_days`` (a Prometheus fleet's after its ``minute_hours``: the
detail stays in Prometheus); the hours of days older than ``pack_hours_after_days`` are
packed into one row per GPU (server) per day (:mod:`golocal.db.hour_archive`) and go, packed,
after ``hourly_days``, as latency histogram buckets do (their hours are packed per server
and day once the day is two days old: :func:`golocal.db.latency.pack_latency_days`);
daily, weekly and monthly rollups stay unless ``daily_days`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from golocal.db.database import Database
from golocal.db.hour_archive import pack_old_hours
from golocal.db.latency import pack_latency_days
from golocal.db.models import (
    Gpu,
    GpuMinute,
    InferenceServer,
    ServerLatencyBucket,
    ServerLatencyDay,
)
from golocal.db.rollups import GPU, SERVER, floor_month, floor_week


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days kept at each resolution; ``daily_days=None`` keeps daily rollups forever."""

    minute_days: int = 14
    hourly_days: int = 400
    daily_days: int | None = None
    #: (GPU source, hours): minute rows of a Prometheus fleet's GPUs and of its vLLM
    #: instances (servers named ``<source>/<instance>``), kept shorter than ``minute_days``
    fleet_minute_hours: tuple[tuple[str, int], ...] = ()
    #: hours of days older than this are packed, one row per GPU (server) and day
    pack_hours_after_days: int = 35


def _of_fleet(minute: Any, source: str) -> Any:
    """Minute rows of the GPUs (servers) a Prometheus fleet source brought in."""
    if minute is GpuMinute:
        return minute.gpu_id.in_(select(Gpu.id).where(Gpu.source == source))
    return minute.server_id.in_(
        select(InferenceServer.id).where(
            InferenceServer.name.startswith(f"{source}/", autoescape=True)
        )
    )


def apply_retention(
    database: Database, policy: RetentionPolicy, *, now: datetime
) -> dict[str, int]:
    """Delete telemetry older than the policy allows (the scheduled retention job).

    Returns the rows deleted per table and resolution, and the packed days written
    (``<archive table>:packed``).
    """
    deleted: dict[str, int] = {}
    minute_cut = now - timedelta(days=policy.minute_days)
    hour_cut = now - timedelta(days=policy.hourly_days)
    with database.engine.begin() as connection:
        for spec in (GPU, SERVER):
            minute, rollup = spec.minute, spec.rollup
            result = connection.execute(delete(minute).where(minute.minute < minute_cut))
            deleted[minute.__tablename__] = result.rowcount or 0
            for source, hours in policy.fleet_minute_hours:
                result = connection.execute(
                    delete(minute).where(
                        minute.minute < now - timedelta(hours=hours),
                        _of_fleet(minute, source),
                    )
                )
                deleted[minute.__tablename__] += result.rowcount or 0
            result = connection.execute(
                delete(rollup).where(rollup.resolution == "hour", rollup.bucket_start < hour_cut)
            )
            deleted[f"{rollup.__tablename__}:hour"] = result.rowcount or 0
            archive = spec.archive
            # a packed day goes once its last hour is past the cut, as its rows would
            result = connection.execute(
                delete(archive).where(archive.day <= hour_cut - timedelta(days=1))
            )
            deleted[archive.__tablename__] = result.rowcount or 0
            if policy.daily_days is not None:
                # weeks and months go with the days: never outliving their days' retention
                day_cut = now - timedelta(days=policy.daily_days)
                for resolution, cut in (
                    ("day", day_cut),
                    ("week", floor_week(day_cut)),
                    ("month", floor_month(day_cut)),
                ):
                    result = connection.execute(
                        delete(rollup).where(
                            rollup.resolution == resolution, rollup.bucket_start < cut
                        )
                    )
                    deleted[f"{rollup.__tablename__}:{resolution}"] = result.rowcount or 0
        # latency histogram buckets are hourly: they follow the hourly retention
        buckets = ServerLatencyBucket
        result = connection.execute(delete(buckets).where(buckets.bucket_start < hour_cut))
        deleted[buckets.__tablename__] = result.rowcount or 0
        latency_days = ServerLatencyDay
        result = connection.execute(
            delete(latency_days).where(latency_days.day <= hour_cut - timedelta(days=1))
        )
        deleted[latency_days.__tablename__] = result.rowcount or 0
    # after the deletes, so no day past retention is packed only to be deleted
    pack_cut = now - timedelta(days=min(policy.pack_hours_after_days, policy.hourly_days))
    for spec in (GPU, SERVER):
        deleted[f"{spec.archive.__tablename__}:packed"] = pack_old_hours(database, spec, pack_cut)
    deleted[f"{ServerLatencyDay.__tablename__}:packed"] = pack_latency_days(database, now)
    return deleted
