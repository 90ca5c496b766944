"""Collecting local telemetry once: inference servers, GPU agents, Prometheus fleets.

:func:`collect_telemetry` is the job the scheduler runs every ``schedule.telemetry_seconds``
(and ``golocal collect`` runs on demand). Every source is fetched in parallel over one shared
HTTP client with a per-request timeout and bounded concurrency, so one slow or dead server
never delays the others; then each answer is written (minute rows, rollups of the touched
hours, local usage buckets) and the attempt recorded in the source status, with counter
baselines kept in its ``state``. :func:`maintain_telemetry` is the rollup/retention job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from golocal.config.settings import (
    GpuAgentSource,
    InferenceServerSource,
    PrometheusSource,
    Settings,
)
from golocal.db.database import Database
from golocal.db.retention import RetentionPolicy, apply_retention
from golocal.db.rollups import rollup_telemetry as rollup
from golocal.db.sources import record_failure, record_success, source_state
from golocal.jobs import selfmetrics
from golocal.jobs.gpu_points import store_gpu_points
from golocal.jobs.http_limits import ResponseTooLarge, get_bounded
from golocal.jobs.server_minutes import (
    floor_minute,
    shown_url,
    store_fleet_servers,
    store_server_scrape,
)
from golocal.jobs.sources.fleet_batches import (
    DISCOVERY_STEP,
    discovery_query,
    discovery_range,
    group_instances,
    selector,
    time_chunks,
)
from golocal.jobs.sources.fleet_servers import (
    BUCKET_SERIES,
    COUNTER_SERIES,
    GAUGE_SERIES,
    LOOKBACK_SECONDS,
    WINDOW_SECONDS,
    FleetServerMinute,
    fleet_server_minutes,
)
from golocal.jobs.sources.gpu_metrics import (
    FLEET_GPU_SERIES,
    GpuPoint,
    parse_gpu_metrics,
    points_from_matrix,
)
from golocal.jobs.sources.inference import (
    MetricsFormatError,
    parse_metrics,
    parse_ollama_ps,
)
from golocal.jobs.sources.prometheus_api import (
    PrometheusError,
    RangeResult,
    query_range,
    raw_samples,
)

log = logging.getLogger(__name__)

#: How far back a Prometheus fleet is read the first time (and at most after downtime).
FIRST_WINDOW = timedelta(minutes=5)
MAX_WINDOW = timedelta(hours=6)

LocalSource = InferenceServerSource | PrometheusSource | GpuAgentSource


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What one collection of one local source did."""

    source: str
    kind: str
    ok: bool
    rows: int
    message: str


class FetchError(Exception):
    """A source could not be read; the message names why (never a secret)."""


def local_sources(settings: Settings) -> list[LocalSource]:
    """Every configured local telemetry source, in configuration order."""
    return [*settings.inference_servers, *settings.gpu_agents, *settings.prometheus]


def source_kind(source: LocalSource) -> str:
    """The kind a local source is listed as: its server kind, ``prometheus`` or ``gpu_agent``."""
    if isinstance(source, InferenceServerSource):
        return source.kind
    return "prometheus" if isinstance(source, PrometheusSource) else "gpu_agent"


#: the largest /metrics (or /api/ps) answer read; a real exporter's is well under 1 MiB
SCRAPE_MAX_BYTES = 32 * 1024 * 1024


def _get(client: httpx.Client, url: str) -> httpx.Response:
    shown = shown_url(url)
    try:
        response = get_bounded(client, url, max_bytes=SCRAPE_MAX_BYTES)
    except ResponseTooLarge:
        raise FetchError(f"{shown} answered more than {SCRAPE_MAX_BYTES >> 20} MiB") from None
    except httpx.TimeoutException:
        raise FetchError(f"{shown} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot reach {shown} ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise FetchError(f"{shown} answered HTTP {response.status_code}")
    return response


def _fetch(client: httpx.Client, source: LocalSource, database: Database, now: datetime) -> Any:
    """Network and parsing only (runs in a worker thread)."""
    if isinstance(source, InferenceServerSource):
        if source.kind == "ollama":
            response = _get(client, f"{source.url}/api/ps")
            try:
                return parse_ollama_ps(response.json())
            except ValueError as exc:
                raise FetchError(f"{shown_url(source.url)}/api/ps: {exc}") from None
        response = _get(client, f"{source.url}/metrics")
        marker = response.headers.get("Process-Start-Time-Unix")
        try:
            return parse_metrics(
                source.kind, response.text, restart_marker=float(marker) if marker else None
            )
        except (MetricsFormatError, ValueError) as exc:
            raise FetchError(f"{shown_url(source.url)}/metrics: {exc}") from None
    if isinstance(source, GpuAgentSource):
        response = _get(client, source.url)
        try:
            return parse_gpu_metrics(response.text, at=now.timestamp(), default_host=source.name)
        except ValueError as exc:
            raise FetchError(f"{shown_url(source.url)}: not Prometheus text ({exc})") from None
    return _fetch_prometheus(client, source, database, now)


@dataclass
class FleetAnswer:
    """What a Prometheus fleet answered for one collection window."""

    points: list[GpuPoint]
    cursor: datetime
    servers: list[FleetServerMinute]
    server_cursor: datetime | None


def _query(
    client: httpx.Client, url: str, query: str, start: datetime, end: datetime, step: float
) -> RangeResult:
    try:
        return query_range(
            client, url, query, start=start.timestamp(), end=end.timestamp(), step=step
        )
    except PrometheusError as exc:
        raise FetchError(exc.message) from None


def _raw(client: httpx.Client, url: str, selector: str, end: datetime, seconds: int) -> RangeResult:
    try:
        return raw_samples(client, url, selector, end=end.timestamp(), seconds=seconds)
    except PrometheusError as exc:
        raise FetchError(exc.message) from None


def _gpu_series(
    client: httpx.Client, url: str, start: datetime, end: datetime, step: float
) -> list[Any]:
    """Every wanted GPU series of ``[start, end]``: per-instance batches, bounded answers."""
    first, last = discovery_range(start.timestamp(), end.timestamp())
    found = _query(
        client, url, discovery_query(FLEET_GPU_SERIES), datetime.fromtimestamp(first, UTC),
        datetime.fromtimestamp(last, UTC), DISCOVERY_STEP,
    )  # fmt: skip
    counts = {
        labels.get("instance", ""): max(int(value) for _at, value in values)
        for _name, labels, values in found.series
        if values
    }
    series: list[Any] = []
    for batch in group_instances(counts):
        wanted = selector(FLEET_GPU_SERIES, batch)
        total = sum(counts[instance] for instance in batch)
        for first, last in time_chunks(start.timestamp(), end.timestamp(), step, total):
            chunk = _query(
                client, url, wanted, datetime.fromtimestamp(first, UTC),
                datetime.fromtimestamp(last, UTC), step,
            )  # fmt: skip
            series.extend(chunk.series)
    return series


def _fetch_prometheus(
    client: httpx.Client, source: PrometheusSource, database: Database, now: datetime
) -> FleetAnswer:
    state = source_state(database, source.name)
    step = source.step_seconds
    end = now
    start = end - FIRST_WINDOW
    if state is not None and state.cursor is not None:
        start = max(state.cursor + timedelta(seconds=step), end - MAX_WINDOW)
    points: list[GpuPoint] = []
    cursor = state.cursor if state is not None and state.cursor is not None else end
    if start <= end:
        series = _gpu_series(client, source.url, start, end, step)
        points = points_from_matrix(series, default_host=source.name)
        # the last evaluated step, so the next window starts right after it
        cursor = start + timedelta(seconds=((end - start).total_seconds() // step) * step)

    # vLLM series: whole minutes [server_start, server_end), counters as raw samples
    previous = (state.state if state is not None else {}).get("server_cursor")
    server_end = floor_minute(now)
    server_start = server_end - FIRST_WINDOW
    if previous:
        server_start = max(datetime.fromisoformat(previous), server_end - MAX_WINDOW)
    servers: list[FleetServerMinute] = []
    server_cursor = datetime.fromisoformat(previous) if previous else None
    if server_start < server_end:
        seconds = int((server_end - server_start).total_seconds()) + LOOKBACK_SECONDS
        counters: list[Any] = []
        for name in [*COUNTER_SERIES, *BUCKET_SERIES]:
            counters.extend(_raw(client, source.url, name, server_end, seconds).series)
        gauges: list[Any] = []
        first_step = server_start + timedelta(seconds=WINDOW_SECONDS)
        for name in GAUGE_SERIES:
            result = _query(client, source.url, name, first_step, server_end, WINDOW_SECONDS)
            gauges.extend(result.series)
        servers = fleet_server_minutes(
            counters, gauges, start=server_start.timestamp(), end=server_end.timestamp()
        )
        server_cursor = server_end
    return FleetAnswer(points, cursor, servers, server_cursor)


def telemetry_client(settings: Settings) -> httpx.Client:
    """The HTTP client a long-running scheduler keeps and passes to every collection."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.telemetry.timeout_seconds),
        limits=httpx.Limits(max_connections=max(10, settings.telemetry.concurrency * 2)),
        follow_redirects=False,
    )


def collect_telemetry(
    database: Database,
    settings: Settings,
    *,
    names: Sequence[str] | None = None,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> list[SourceResult]:
    """Collect every configured local source (or those named) once.

    Never raises for a failing source: each one's outcome is a :class:`SourceResult` and
    is recorded with ``record_success``/``record_failure``.

    Args:
        names: only these sources (``golocal collect coder``); default: all configured.
        client: a long-lived client from :func:`telemetry_client` (the scheduled job);
            without one, a client is made for this call and closed after it.
    """
    now = now or datetime.now(UTC)
    sources = local_sources(settings)
    if names is not None:
        sources = [s for s in sources if s.name in set(names)]
    if not sources:
        return []
    own_client = client is None
    http = client or telemetry_client(settings)
    try:
        workers = min(settings.telemetry.concurrency, len(sources))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="telemetry") as pool:
            futures = [pool.submit(_timed_fetch, http, source, database, now) for source in sources]
            fetched = [_outcome(future) for future in futures]
    finally:
        if own_client:
            http.close()
    results = []
    for source, (timed, error) in zip(sources, fetched, strict=True):
        kind = source_kind(source)
        started = time.monotonic()
        fetch_seconds = timed[1] if timed is not None else 0.0
        if error is not None:
            record_failure(database, source.name, error, kind=kind, at=now)
            results.append(SourceResult(source.name, kind, False, 0, error))
        else:
            try:
                results.append(_store(database, settings, source, timed[0], now))
            except Exception:
                log.exception("storing telemetry of %s failed", source.name)
                reason = "storing its telemetry failed (see the log)"
                record_failure(database, source.name, reason, kind=kind, at=now)
                results.append(SourceResult(source.name, kind, False, 0, reason))
        result = results[-1]
        seconds = fetch_seconds + time.monotonic() - started
        selfmetrics.observe_source(result.source, ok=result.ok, seconds=seconds, rows=result.rows)
    return results


def _timed_fetch(*args: Any) -> tuple[Any, float]:
    """A fetch and its wall time (the source's share of the collection duration)."""
    started = time.monotonic()
    return _fetch(*args), time.monotonic() - started


def _outcome(future: Any) -> tuple[Any, str | None]:
    try:
        return future.result(), None
    except FetchError as exc:
        return None, str(exc)
    except Exception as exc:  # a bug must not stop the other sources
        log.exception("telemetry fetch failed")
        return None, f"unexpected error ({type(exc).__name__})"


def _store(
    database: Database, settings: Settings, source: LocalSource, answer: Any, now: datetime
) -> SourceResult:
    kind = source_kind(source)
    # each sample stands for one collection interval in the minute aggregates
    interval = float(settings.schedule.telemetry_seconds)
    state = source_state(database, source.name)
    previous = state.state if state is not None else {}
    if isinstance(source, InferenceServerSource):
        rows, message, new_state = store_server_scrape(
            database, source, answer, previous, now, interval
        )
        record_success(database, source.name, kind=kind, at=now, state=new_state)
        return SourceResult(source.name, kind, True, rows, message)
    if isinstance(source, PrometheusSource):
        fleet: FleetAnswer = answer
        rows, energy = store_gpu_points(
            database,
            source.name,
            fleet.points,
            previous.get("energy"),
            interval=source.step_seconds,
        )
        server_rows = store_fleet_servers(database, source, fleet.servers, now)
        fleet_state: dict[str, Any] = {"energy": energy}
        if fleet.server_cursor is not None:
            fleet_state["server_cursor"] = fleet.server_cursor.isoformat()
        record_success(
            database, source.name, kind=kind, at=now, cursor=fleet.cursor, state=fleet_state
        )
        return SourceResult(
            source.name,
            kind,
            True,
            rows + server_rows,
            f"{len(fleet.points)} GPU samples, {server_rows} inference-server minutes",
        )
    rows, energy = store_gpu_points(
        database, source.name, answer, previous.get("energy"), interval=interval
    )
    record_success(database, source.name, kind=kind, at=now, state={"energy": energy})
    return SourceResult(source.name, kind, True, rows, f"{len({p.uuid for p in answer})} GPUs")


def maintain_telemetry(
    database: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    lookback: timedelta = timedelta(hours=2),
) -> dict[str, int]:
    """The rollup/retention job: re-roll the recent hours, then delete what is too old."""
    now = now or datetime.now(UTC)
    written = rollup(database, now - lookback, now)
    retention = settings.retention
    deleted = apply_retention(
        database,
        RetentionPolicy(
            retention.minute_days,
            retention.hourly_days,
            retention.daily_days,
            fleet_minute_hours=tuple((s.name, s.minute_hours) for s in settings.prometheus),
            pack_hours_after_days=retention.pack_hours_after_days,
        ),
        now=now,
    )
    return {f"rollup:{k}": v for k, v in written.items()} | {
        f"deleted:{k}": v for k, v in deleted.items()
    }
