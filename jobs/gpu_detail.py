"""Per-GPU detail by minute or hour (``golocal report gpus --by minute|hour``).

Hours come from the hourly rollups (:func:`golocal.db.gpu_hours.gpu_hours`). Minutes of a
GPU scraped directly (NVML, ``golocal agent``, ``[[gpu_agents]]``) come from its stored
minute rows (kept ``retention.minute_days``); minutes of a ``[[prometheus]]`` fleet's GPU
are read from that Prometheus on demand (:mod:`golocal.jobs.fleet_minutes`) for as far back
as it retains them, and never stored. A request is bounded: more than
:data:`MAX_GPU_MINUTES` GPU-minutes (or :data:`MAX_GPU_HOURS` GPU-hours) is refused before
anything is read. A minute golocal cannot read is an error, never a row of zeros.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.db.gpu_detail import DetailGpu, gpus_seen, stored_minutes
from golocal.db.gpu_hours import FIGURES, GpuFigures, gpu_hours
from golocal.errors import GolocalError, UsageError

#: The most GPU-minutes (GPUs x minutes) one minute report reads: about 70 days of one GPU,
#: a week of eight, 97 minutes of 1,024.
MAX_GPU_MINUTES = 100_000
#: The most GPU-hours one hour report reads: a year of 57 GPUs, three weeks of 1,024.
MAX_GPU_HOURS = 500_000
#: Exit code of a detail golocal cannot read (Prometheus unreachable or past its retention).
UNAVAILABLE_EXIT = 3
RESOLUTIONS = ("minute", "hour")


class DetailUnavailable(GolocalError):
    """Minutes that exist (the hourly rollups show them) but cannot be read now."""

    exit_code = UNAVAILABLE_EXIT


@dataclass(frozen=True, slots=True)
class DetailRow(GpuFigures):
    """One GPU over one minute or hour (the rollups' column meanings), and where the row
    came from (``database`` or ``prometheus:<source>``)."""

    gpu_id: int
    start: datetime
    minutes: int
    origin: str

    @classmethod
    def of(cls, row: Any, *, start: datetime, minutes: int, origin: str) -> DetailRow:
        """From a minute-row mapping or a :class:`~golocal.db.gpu_hours.GpuHour`."""
        get: Any = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        figures = {name: get(name) for name in FIGURES}
        figures["samples"] = int(figures["samples"] or 0)
        return cls(**figures, gpu_id=get("gpu_id"), start=start, minutes=minutes, origin=origin)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass
class GpuDetail:
    """The rows of a detail report, and where they came from."""

    by: str
    since: datetime
    until: datetime
    gpus: list[DetailGpu]
    rows: list[DetailRow]
    origins: dict[int, str]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        by_id = {g.id: g for g in self.gpus}
        rows = []
        for row in self.rows:
            gpu = by_id[row.gpu_id]
            rows.append(
                {
                    "start": row.start.isoformat(),
                    "host": gpu.host,
                    "gpu": gpu.gpu_index,
                    "uuid": gpu.uuid,
                    "minutes": row.minutes,
                    "samples": row.samples,
                    "util_mean_percent": _round(row.util_mean, 1),
                    "util_peak_percent": _round(row.util_max, 1),
                    "memory_used_mean_mib": _round(row.mem_used_mean_mib, 0),
                    "memory_used_peak_mib": _round(row.mem_used_max_mib, 0),
                    "power_mean_w": _round(row.power_mean_w, 1),
                    "power_peak_w": _round(row.power_max_w, 1),
                    "energy_kwh": _round(None if row.energy_j is None else row.energy_j / 3.6e6, 6),
                    "temperature_peak_c": _round(row.temp_max_c, 1),
                    "saturated_minutes": _round(_per_minute(row.saturated_s), 2),
                    "throttled_minutes": _round(_per_minute(row.throttled_s), 2),
                    "from": row.origin,
                }
            )
        return {
            "by": self.by,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "gpus": [
                {
                    "host": g.host,
                    "gpu": g.gpu_index,
                    "uuid": g.uuid,
                    "name": g.name,
                    "source": g.source,
                    "from": self.origins[g.id],
                }
                for g in self.gpus
            ],
            "rows": rows,
            "notes": self.notes,
        }


def _per_minute(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _floor_minute(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def check_size(by: str, gpus: int, since: datetime, until: datetime) -> None:
    """Refuse a request past the cap, before anything is read.

    Raises:
        UsageError: more GPU-minutes (GPU-hours) than the cap, with what to ask instead.
    """
    seconds = max(0.0, (until - since).total_seconds())
    if by == "minute":
        asked, cap = gpus * int(seconds // 60), MAX_GPU_MINUTES
        hint = "ask --by hour, a shorter period, or filter with --gpu UUID / --host HOST"
    else:
        asked, cap = gpus * int(-(-seconds // 3600)), MAX_GPU_HOURS
        hint = "ask a shorter period, filter with --gpu/--host, or `report gpus` for totals"
    if asked > cap:
        raise UsageError(
            f"{gpus:,} GPUs x {asked // max(gpus, 1):,} {by}s is {asked:,} GPU-{by}s, over the "
            f"cap of {cap:,} for one report: {hint}"
        )


def build_gpu_detail(
    database: Database,
    settings: Settings,
    *,
    by: str,
    since: datetime,
    until: datetime,
    uuids: Sequence[str] = (),
    hosts: Sequence[str] = (),
    now: datetime | None = None,
    client: Any = None,
) -> GpuDetail:
    """Per GPU and per minute or hour of ``[since, until)`` (clipped to now).

    Raises:
        UsageError: the request is over the cap.
        DetailUnavailable: a fleet's Prometheus cannot give minutes golocal knows exist.
    """
    now = now or datetime.now(UTC)
    until = min(
        until, _floor_minute(now) + timedelta(minutes=1) if by == "hour" else _floor_minute(now)
    )
    gpus = gpus_seen(database, since, uuids=uuids, hosts=hosts)
    check_size(by, len(gpus), since, until)
    if by == "hour":
        ids = [g.id for g in gpus]
        rows = [
            DetailRow.of(h, start=h.hour, minutes=h.minutes, origin="database")
            for h in gpu_hours(database, since, until, ids)
        ]
        return GpuDetail(by, since, until, gpus, rows, {g.id: "database" for g in gpus})
    fleets = {s.name: s for s in settings.prometheus}
    grouped: dict[str, list[DetailGpu]] = defaultdict(list)
    for gpu in gpus:
        grouped[gpu.source if gpu.source in fleets else ""].append(gpu)
    local = grouped.pop("", [])
    origins = {g.id: "database" for g in local}
    rows = [
        DetailRow.of(r, start=r["minute"], minutes=1, origin="database")
        for r in stored_minutes(database, since, until, [g.id for g in local])
    ]
    notes: list[str] = []
    days = settings.retention.minute_days
    kept_from = now - timedelta(days=days)
    if local and since < kept_from:
        notes.append(
            f"golocal keeps the minutes of GPUs it scrapes directly {days} days "
            f"(retention.minute_days): none before {kept_from:%Y-%m-%d %H:%M} UTC; "
            "--by hour goes back further"
        )
    if grouped:
        from golocal.jobs.fleet_minutes import read_fleets

        fleet_rows, fleet_origins, notes = read_fleets(
            database, settings, grouped, since, until, now=now, narrow=bool(uuids or hosts),
            client=client,
        )  # fmt: skip
        origins |= fleet_origins
        rows += [
            DetailRow.of(r, start=r["minute"], minutes=1, origin=fleet_origins[r["gpu_id"]])
            for r in fleet_rows
        ]
    rows.sort(key=lambda r: (r.gpu_id, r.start))
    return GpuDetail(by, since, until, gpus, rows, origins, notes)
