"""Minute detail of a ``[[prometheus]]`` fleet's GPUs, read from that Prometheus on demand.

golocal keeps a fleet's minute rows only ``minute_hours``; older minutes stay in Prometheus
and are read back when a report asks for them, never stored. The read goes through the
collector's batched, bounded fleet queries (:func:`read_series`) on the collector's own
evaluation grid (its cursor plus whole steps), and the samples become
minute rows through :func:`golocal.jobs.gpu_points.minute_rows`, merged in the order and
with the arithmetic of the database's merging upsert
(:func:`golocal.db.rollups.merge_minutes`). A minute read here therefore has the figures of
the same minute stored by collection, sample for sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from golocal.config.settings import PrometheusSource, Settings
from golocal.db.database import Database
from golocal.db.gpu_detail import DetailGpu, stored_minutes
from golocal.db.gpu_hours import gpu_hours
from golocal.db.rollups import GPU
from golocal.db.sources import source_state
from golocal.jobs.gpu_detail import DetailUnavailable
from golocal.jobs.gpu_points import gpu_key, inventory_uuid, minute_rows
from golocal.jobs.server_minutes import shown_url
from golocal.jobs.sources.fleet_batches import (
    DISCOVERY_STEP,
    discovery_range,
    group_instances,
    regex_alternation,
    selector,
    time_chunks,
)
from golocal.jobs.sources.gpu_metrics import FLEET_GPU_SERIES, points_from_matrix
from golocal.jobs.sources.prometheus_api import PrometheusError, query_range
from golocal.jobs.telemetry import telemetry_client

#: Steps per ``query_range`` at most: Prometheus refuses more than 11,000 points per series
#: (``exceeded maximum resolution``), however few series an answer holds.
MAX_STEPS = 10_000


def grid_start(anchor: datetime, step: float, since: datetime) -> datetime:
    """The first time ``anchor + k * step`` (any integer k) at or after ``since``."""
    k = math.ceil((since - anchor).total_seconds() / step)
    at = anchor + timedelta(seconds=k * step)
    # float division may land one step short or long of the boundary
    while at < since:
        at += timedelta(seconds=step)
    while at - timedelta(seconds=step) >= since:
        at -= timedelta(seconds=step)
    return at


def spans(first: datetime, last: datetime, step: float) -> list[tuple[datetime, datetime]]:
    """``[first, last]`` cut into ranges of at most :data:`MAX_STEPS` steps on the same
    grid (each range's start is ``first`` plus whole steps)."""
    out = []
    width = timedelta(seconds=step * (MAX_STEPS - 1))
    start = first
    while start <= last:
        end = min(last, start + width)
        out.append((start, end))
        start = end + timedelta(seconds=step)
    return out


def uuid_selector(uuids: Sequence[str]) -> Selector:
    """A selector for :func:`read_series`: only the series of these GPUs.

    dcgm-exporter labels a GPU ``UUID`` (a MIG instance by its parent's), ``golocal agent``
    ``uuid``: a selector cannot say "either label", so the two are joined with ``or``
    (which keeps every series and its name: Prometheus ``docs/querying/operators.md``).
    """
    pattern = regex_alternation(sorted(set(uuids)))

    def wanted(instances: Sequence[str] | None) -> str:
        base = selector(FLEET_GPU_SERIES, instances)[:-1]
        return " or ".join(f'{base},{label}=~"{pattern}"}}' for label in ("UUID", "uuid"))

    return wanted


Selector = Callable[[Sequence[str] | None], str]


def whole_fleet(instances: Sequence[str] | None) -> str:
    """Every fleet GPU series of those instances (``None``: of all)."""
    return selector(FLEET_GPU_SERIES, instances)


def read_series(
    client: httpx.Client, url: str, start: float, end: float, step: float, wanted: Selector
) -> list[Any]:
    """The series ``wanted`` selects at ``start + k * step`` up to ``end``, read as the
    collector reads a fleet: one count of series per instance, then per-instance batches
    of at most ``SERIES_PER_QUERY`` series in chunks of at most ``SAMPLES_PER_QUERY``
    samples (:mod:`golocal.jobs.sources.fleet_batches`).

    Raises:
        PrometheusError: Prometheus is unreachable or answered an error.
    """
    first, last = discovery_range(start, end)
    found = query_range(
        client, url, f"count by (instance) ({wanted(None)})", start=first, end=last,
        step=DISCOVERY_STEP,
    )  # fmt: skip
    counts = {
        labels.get("instance", ""): max(int(v) for _at, v in values if not math.isnan(v))
        for _name, labels, values in found.series
        if any(not math.isnan(v) for _at, v in values)
    }
    series: list[Any] = []
    for batch in group_instances(counts):
        total = sum(counts[instance] for instance in batch)
        for chunk_start, chunk_end in time_chunks(start, end, step, total):
            answer = query_range(
                client, url, wanted(batch), start=chunk_start, end=chunk_end, step=step
            )
            series.extend(answer.series)
    return series


def merge_minute_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Minute-row samples folded per (GPU, minute) as ``merge_minutes`` folds them in the
    database: in order, sums and samples added, maxima kept, means weighted by samples
    (a mean not reported before takes the new value as it is)."""
    merged: dict[tuple[int, datetime], dict[str, Any]] = {}
    for row in rows:
        key = (row["gpu_id"], row["minute"])
        old = merged.get(key)
        if old is None:
            merged[key] = dict(row)
            continue
        old_n, new_n = old["samples"], row["samples"]
        for name in GPU.sums:
            o, n = old[name], row[name]
            old[name] = o + n if o is not None and n is not None else (o if n is None else n)
        for name in GPU.maxes:
            o, n = old[name], row[name]
            old[name] = o if n is None else n if o is None else (n if n > o else o)
        for name in GPU.means:
            o, n = old[name], row[name]
            total = old_n + new_n
            if o is not None and n is not None and total:
                old[name] = (o * old_n + n * new_n) / total
            else:
                old[name] = o if o is not None else n
        old["samples"] = old_n + new_n
    return sorted(merged.values(), key=lambda r: (r["gpu_id"], r["minute"]))


def read_fleet_minutes(
    client: httpx.Client,
    *,
    url: str,
    source: str,
    step: float,
    anchor: datetime,
    since: datetime,
    until: datetime,
    gpus: Sequence[DetailGpu],
    narrow: bool,
) -> list[dict[str, Any]]:
    """The minute rows ``since <= minute < until`` (whole minutes) of ``gpus``, all of
    fleet ``source``, read from its Prometheus at ``url``.

    Args:
        anchor: a time on the collector's evaluation grid (the source's cursor).
        narrow: ask Prometheus only for these GPUs' series (a filtered report), rather
            than the whole fleet's.

    Raises:
        PrometheusError: Prometheus is unreachable or answered an error.
    """
    first = grid_start(anchor, step, since)
    last = grid_start(anchor, step, until) - timedelta(seconds=step)
    if last < first or not gpus:
        return []
    # one step before the first: the energy counter's baseline for the first sample
    start = first - timedelta(seconds=step)
    wanted: Selector = whole_fleet
    if narrow:
        wanted = uuid_selector([u for g in gpus for u in (g.uuid, g.parent_uuid) if u])
    points = []
    for span_start, span_end in spans(start, last, step):
        series = read_series(
            client, url, span_start.timestamp(), span_end.timestamp(), step, wanted
        )
        points.extend(points_from_matrix(series, default_host=source))
    inventory = {(g.host, g.uuid): g.id for g in gpus}
    ids = {
        gpu_key(p): inventory[(p.host, inventory_uuid(p))]
        for p in points
        if (p.host, inventory_uuid(p)) in inventory
    }
    ordered = sorted(points, key=lambda p: (gpu_key(p), p.at))
    rows = minute_rows(ordered, ids, {}, step)
    return merge_minute_rows(r for r in rows if since <= r["minute"] < until)


#: the grid of a fleet never collected: whole steps since the epoch
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FleetMinutesMissing(Exception):
    """Prometheus could not give minutes golocal knows exist; the message says why."""


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def fleet_minute_rows(
    database: Database,
    source: PrometheusSource,
    gpus: Sequence[DetailGpu],
    since: datetime,
    until: datetime,
    *,
    client: httpx.Client,
    narrow: bool,
) -> list[dict[str, Any]]:
    """The minute rows of a fleet's ``gpus`` read from its Prometheus, checked against the
    hourly rollups: a whole hour that golocal rolled up from minutes but Prometheus no
    longer answers for is missing detail, not an idle hour.

    Raises:
        FleetMinutesMissing: Prometheus is unreachable, answered an error, or no longer
            holds minutes the rollups show.
    """
    state = source_state(database, source.name)
    anchor = state.cursor if state is not None and state.cursor is not None else EPOCH
    try:
        rows = read_fleet_minutes(
            client, url=source.url, source=source.name, step=source.step_seconds,
            anchor=anchor, since=since, until=until, gpus=gpus, narrow=narrow,
        )  # fmt: skip
    except PrometheusError as exc:
        raise FleetMinutesMissing(exc.message) from None
    answered = {(row["gpu_id"], _hour(row["minute"])) for row in rows}
    missing = [
        hour
        for hour in gpu_hours(database, since, until, [g.id for g in gpus])
        if hour.minutes > 0
        and hour.hour + timedelta(hours=1) <= until
        and (hour.gpu_id, hour.hour) not in answered
    ]
    if missing:
        last = max(hour.hour for hour in missing)
        raise FleetMinutesMissing(
            f"it answers no minutes for {len(missing):,} GPU-hours golocal rolled up from "
            f"minutes (the last at {last:%Y-%m-%d %H:00} UTC): past its retention, or the "
            "series were deleted"
        )
    return rows


def read_fleets(
    database: Database,
    settings: Settings,
    fleets: Mapping[str, Sequence[DetailGpu]],
    since: datetime,
    until: datetime,
    *,
    now: datetime,
    narrow: bool,
    client: httpx.Client | None = None,
) -> tuple[list[dict[str, Any]], dict[int, str], list[str]]:
    """Minute rows of each fleet's GPUs, read from its Prometheus: (rows, where each GPU's
    minutes came from, notes).

    Where Prometheus cannot answer but the period lies within the minutes golocal keeps of
    that fleet (``minute_hours``), the stored minutes answer, with a note saying so.

    Raises:
        DetailUnavailable: minutes that neither Prometheus nor golocal can give.
    """
    sources = {s.name: s for s in settings.prometheus}
    http = client or telemetry_client(settings)
    rows: list[dict[str, Any]] = []
    origins: dict[int, str] = {}
    notes: list[str] = []
    try:
        for name, gpus in fleets.items():
            source = sources[name]
            try:
                found = fleet_minute_rows(
                    database, source, gpus, since, until, client=http, narrow=narrow
                )
                origin = f"prometheus:{name}"
            except FleetMinutesMissing as exc:
                kept = timedelta(hours=source.minute_hours)
                reason = f"Prometheus of [[prometheus]] {name!r} ({shown_url(source.url)}): {exc}"
                if since < now - kept:
                    raise DetailUnavailable(
                        f"cannot read the minutes of {len(gpus):,} GPUs: {reason}. golocal "
                        f"keeps this fleet's minutes only {source.minute_hours} h; ask --by "
                        "hour, or a period within them"
                    ) from None
                found = stored_minutes(database, since, until, [g.id for g in gpus])
                origin = "database"
                notes.append(f"{reason}; its minutes come from golocal's own store instead")
            rows += found
            origins |= {g.id: origin for g in gpus}
    finally:
        if client is None:
            http.close()
    return rows, origins, notes
