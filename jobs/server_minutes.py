"""Inference-server samples into minute rows, rollups and hourly local usage buckets.

A scraped server contributes the increases of its counters since the previous scrape (see
:mod:`golocal.jobs.counters`) and its gauges; a fleet's vLLM instances contribute the
per-minute increases computed from Prometheus' raw samples
(:mod:`golocal.jobs.sources.fleet_servers`). Either way the hour's requests and tokens are re-summed
from the minute rows into a ``location = 'local'`` usage bucket named for the server, so
``golocal report volume`` counts local traffic beside the cloud's, idempotently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from golocal.config.settings import InferenceServerSource, PrometheusSource
from golocal.db.database import Database
from golocal.db.latency import add_latency_buckets, add_many_latency_buckets
from golocal.db.rollups import SERVER, merge_minutes
from golocal.db.rollups import rollup_telemetry as rollup
from golocal.db.telemetry import (
    ServerSeen,
    register_server,
    register_servers,
    server_hour_totals,
    servers_hour_totals,
)
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.counters import counter_increases
from golocal.jobs.sources.fleet_servers import COUNTER_COLUMNS, WINDOW_SECONDS, FleetServerMinute
from golocal.jobs.sources.inference import HIST_PREFIX, ServerScrape

log = logging.getLogger(__name__)

#: A server is saturated while requests wait and its KV cache is at least this full.
KV_SATURATED = 0.9


def shown_url(url: str) -> str:
    """A URL fit for messages and the source status: credentials in it are never shown."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def floor_minute(at: datetime) -> datetime:
    """The UTC minute ``at`` falls in."""
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def _add_gauges(row: dict[str, Any], values: Mapping[str, float], seconds: float) -> None:
    """The gauges a minute row keeps, and ``seconds`` saturated while requests wait on a
    nearly full KV cache."""
    for gauge in ("running", "waiting", "kv_cache"):
        if gauge in values:
            row[f"{gauge}_mean"] = row[f"{gauge}_max"] = values[gauge]
    if "waiting" in values and "kv_cache" in values:
        busy = values["waiting"] > 0 and values["kv_cache"] >= KV_SATURATED
        row["saturated_s"] = seconds if busy else 0.0


def store_server_scrape(
    database: Database,
    source: InferenceServerSource,
    scrape: ServerScrape,
    previous: dict[str, Any],
    now: datetime,
    interval: float,
) -> tuple[int, str, dict[str, Any]]:
    model = source.model or (", ".join(scrape.models) if scrape.models else None)
    server_id = register_server(
        database,
        name=source.name,
        kind=source.kind,
        url=shown_url(source.url),
        model=model,
        seen_at=now,
    )
    last_at = previous.get("at")
    elapsed = now.timestamp() - last_at if isinstance(last_at, int | float) else None
    found = counter_increases(previous.get("counters"), scrape.counters, elapsed_s=elapsed)
    increases, baseline = found.values, found.baseline
    for reason in found.rejected:
        log.warning("%s: counter not stored: %s", source.name, reason)
    row: dict[str, Any] = {"server_id": server_id, "minute": floor_minute(now), "samples": 1}
    if increases is not None:
        buckets = {k: v for k, v in increases.items() if k.startswith(HIST_PREFIX)}
        for name, value in increases.items():
            if name not in buckets:
                row[name] = value if name == "latency_sum_s" else round(value)
        add_latency_buckets(database, server_id, now, buckets)
    _add_gauges(row, scrape.gauges, interval)
    merge_minutes(database, SERVER, [row])
    rollup(database, now, now + timedelta(seconds=1), specs=(SERVER,))
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    usage = local_usage_rows(database, source.name, source.kind, server_id, model, [hour])
    if usage:
        upsert_usage_buckets(database, usage)
    if source.kind == "ollama":
        in_ram = scrape.memory_in_ram_bytes or 0
        message = f"{len(scrape.models)} models loaded" + (
            f", {in_ram / 1024**3:.1f} GiB of them in system RAM" if in_ram else ""
        )
    elif increases is None:
        message = "baseline scrape (counters start here)"
    else:
        requests = increases.get("requests")
        message = "requests not reported" if requests is None else f"{round(requests)} requests"
        outcomes = [
            f"{round(increases[name])} {label}"
            for name, label in (("aborted_requests", "aborted"), ("failed_requests", "failed"))
            if name in increases
        ]
        if outcomes:
            message += f" ({', '.join(outcomes)})"
    if found.rejected:
        message += "; not stored: " + "; ".join(found.rejected)
    return 1, message, {"counters": baseline, "at": now.timestamp()}


def store_fleet_servers(
    database: Database,
    source: PrometheusSource,
    minutes: Sequence[FleetServerMinute],
    now: datetime,
) -> int:
    """vLLM instances behind a Prometheus fleet: servers named ``<fleet>/<instance>``.

    Every instance's minutes and latency buckets are written together and the touched hours
    rolled up once: a fleet's minute is a hundred servers, not a hundred transactions each.
    """
    by_server: dict[tuple[str, str], list[FleetServerMinute]] = {}
    for minute in minutes:
        by_server.setdefault((minute.instance, minute.model), []).append(minute)
    rows: list[dict[str, Any]] = []
    buckets: list[tuple[int, datetime, dict[str, float]]] = []
    usage: list[tuple[str, int, str, set[datetime]]] = []
    ids = register_servers(
        database,
        [
            ServerSeen(f"{source.name}/{instance}"[:100], "vllm", instance, model or None, now)
            for instance, model in by_server
        ],
    )
    for (instance, model), records in by_server.items():
        name = f"{source.name}/{instance}"[:100]
        server_id = ids[name]
        histograms: dict[datetime, dict[str, float]] = {}
        hours: set[datetime] = set()
        for record in records:
            row: dict[str, Any] = {
                "server_id": server_id,
                "minute": datetime.fromtimestamp(record.minute_start, UTC),
                "samples": 1,
            }
            for column in COUNTER_COLUMNS:
                if column in record.values:
                    value = record.values[column]
                    row[column] = value if column == "latency_sum_s" else round(value)
            _add_gauges(row, record.values, float(WINDOW_SECONDS))
            rows.append(row)
            hour = row["minute"].replace(minute=0)
            hours.add(hour)
            hourly = histograms.setdefault(hour, {})
            for key, value in record.values.items():
                if key.startswith(HIST_PREFIX):
                    hourly[key] = hourly.get(key, 0.0) + value
        buckets.extend((server_id, hour, increases) for hour, increases in histograms.items())
        usage.append((name, server_id, model, hours))
    if not rows:
        return 0
    merge_minutes(database, SERVER, rows)
    add_many_latency_buckets(database, buckets)
    first = min(row["minute"] for row in rows)
    last = max(row["minute"] for row in rows)
    rollup(database, first, last + timedelta(minutes=1), specs=(SERVER,))
    totals = servers_hour_totals(database, {server_id: hours for _, server_id, _, hours in usage})
    usage_rows = [
        row
        for name, server_id, model, _hours in usage
        for row in usage_rows_of(name, "vllm", model or None, totals.get(server_id, []))
    ]
    if usage_rows:  # one upsert for the fleet
        upsert_usage_buckets(database, usage_rows)
    return len(rows)


def local_usage_rows(
    database: Database,
    name: str,
    kind: str,
    server_id: int,
    model: str | None,
    hours: Iterable[datetime],
) -> list[dict[str, Any]]:
    """Hourly local usage buckets from the server's minute rows (re-summed, so writing them
    again is idempotent)."""
    return usage_rows_of(name, kind, model, server_hour_totals(database, server_id, hours))


def usage_rows_of(
    name: str, kind: str, model: str | None, totals: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Usage bucket rows of one server from its hour totals (:func:`server_hour_totals`)."""
    return [
        {
            "source": name,
            "bucket_start": total["bucket_start"],
            "bucket_seconds": 3600,
            "location": "local",
            "provider": kind,
            "model": model or "",
            "requests": total["requests"],
            "input_tokens": total["prompt_tokens"],
            "output_tokens": total["generation_tokens"],
        }
        for total in totals
        if total["prompt_tokens"] is not None or total["requests"] is not None
    ]
