"""Small aggregate queries behind the App Home dashboard: GPU utilisation and open alerts.

Aggregated in SQL; the dashboard shows a handful of numbers and must stay fast on a year of
a fleet's telemetry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from golocal.db.database import Database
from golocal.db.models import AlertIncident, GpuMinute, GpuRollup


@dataclass(frozen=True, slots=True)
class GpuUtilisation:
    """Mean and peak utilisation (percent) of the GPUs that reported in a window."""

    gpus: int
    util_mean: float | None
    util_max: float | None


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """A firing alert incident."""

    rule: str
    severity: str
    summary: str
    first_seen: datetime


def gpu_utilisation(database: Database, since: datetime, until: datetime) -> GpuUtilisation:
    """GPU utilisation over ``since <= t < until``: per-minute rows, else hourly rollups."""
    for model, column, extra in (
        (GpuMinute, GpuMinute.minute, ()),
        (GpuRollup, GpuRollup.bucket_start, (GpuRollup.resolution == "hour",)),
    ):
        query = select(
            func.count(func.distinct(model.gpu_id)),
            func.avg(model.util_mean),
            func.max(model.util_max),
        ).where(column >= since, column < until, *extra)
        with database.engine.connect() as connection:
            gpus, mean, peak = connection.execute(query).one()
        if gpus:
            return GpuUtilisation(
                int(gpus),
                None if mean is None else float(mean),
                None if peak is None else float(peak),
            )
    return GpuUtilisation(0, None, None)


def open_alert_count(database: Database) -> int:
    """How many alert incidents are firing."""
    query = select(func.count()).select_from(AlertIncident).where(AlertIncident.state == "firing")
    with database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def open_alerts(database: Database, *, limit: int = 20) -> list[OpenAlert]:
    """Firing alert incidents, newest first."""
    query = (
        select(AlertIncident)
        .where(AlertIncident.state == "firing")
        .order_by(AlertIncident.first_seen.desc())
        .limit(limit)
    )
    with database.session() as session:
        return [
            OpenAlert(row.rule, row.severity, row.summary, row.first_seen)
            for row in session.scalars(query)
        ]
