"""vLLM instances through a Prometheus fleet: exact increases from raw samples.

The fake Prometheus holds raw samples and answers range-vector selectors with them, so
what golocal stores can be compared with what the servers really counted.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from golocal.db.database import Database
from golocal.db.latency import latency_histograms
from golocal.db.models import InferenceServer, ServerMinute
from golocal.db.usage import source_days
from golocal.jobs.latency import latency_summary
from golocal.jobs.telemetry import collect_telemetry
from tests.fakes.prometheus import FakePrometheus
from tests.jobs.telemetry_fixtures import T0, fleet_settings, prometheus

__all__ = ["prometheus"]

MODEL = "Qwen/Qwen2.5-Coder-32B"
#: collection at T0 (10:00:05) covers the whole minutes 09:55 to 10:00
END = T0.replace(second=0).timestamp()
START = END - 300
END_DAY, NEXT_DAY = T0.date(), T0.date() + timedelta(days=1)


def _labels(instance: str, engine: str = "0", **extra: str) -> dict[str, str]:
    return {"instance": instance, "job": "vllm", "model_name": MODEL, "engine": engine, **extra}


def _scrapes(first: float, last: float, every: float = 15.0) -> list[float]:
    times, t = [], first
    while t <= last:
        times.append(t)
        t += every
    return times


def _minutes(database: Database) -> list[ServerMinute]:
    with database.session() as session:
        return list(session.scalars(select(ServerMinute).order_by(ServerMinute.minute)))


def test_counters_are_exact_increases_not_extrapolated(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    # 2 requests a second, scraped every 15 s from 09:49:07: 120 served a minute. increase()
    # over a minute extrapolates to the window edges and gives ~123.
    times = _scrapes(START - 353, END + 90)
    prometheus.add(
        "vllm:request_success_total",
        _labels("10.0.0.5:8000", finished_reason="stop"),
        [(t, 1000 + 2 * (t - times[0])) for t in times],
    )
    prometheus.add(
        "vllm:prompt_tokens_total",
        _labels("10.0.0.5:8000"),
        [(t, 7 + 400 * (t - times[0])) for t in times],
    )
    (result,) = collect_telemetry(database, fleet_settings(tmp_path, prometheus.url), now=T0)
    assert result.ok, result.message
    minutes = _minutes(database)
    assert len(minutes) == 5
    assert [m.requests for m in minutes] == [120] * 5
    assert [m.prompt_tokens for m in minutes] == [24_000] * 5
    (day,) = source_days(database, date(2026, 3, 2), date(2026, 3, 3))
    assert day.requests == 600
    # the next collection a minute later adds exactly the next minute
    (again,) = collect_telemetry(
        database, fleet_settings(tmp_path, prometheus.url), now=T0 + timedelta(minutes=1)
    )
    assert again.ok and sum(m.requests for m in _minutes(database)) == 720


def test_resets_gaps_engines_and_outcomes(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    times = _scrapes(START - 15, END - 15)
    # engine 0: +10 a scrape, restarted (back to 3) at the 10th scrape, one scrape missing
    values, value = [], 500.0
    for n, t in enumerate(times):
        value = 3.0 if n == 10 else value + 10
        if n != 15:
            values.append((t, value))
    prometheus.add("vllm:request_success_total", _labels("a:8000", finished_reason="stop"), values)
    prometheus.add(
        "vllm:request_success_total",
        _labels("a:8000", "1", finished_reason="abort"),
        [(t, 2.0 * n) for n, t in enumerate(times)],
    )
    prometheus.add(
        "vllm:request_success_total",
        _labels("a:8000", "1", finished_reason="error"),
        [(t, 40.0 + n) for n, t in enumerate(times)],
    )
    (result,) = collect_telemetry(database, fleet_settings(tmp_path, prometheus.url), now=T0)
    assert result.ok, result.message
    minutes = _minutes(database)
    scrapes = len(times) - 1  # increases between consecutive samples
    stop = 10 * (scrapes - 1) + 3  # the reset contributes its new value (3), not -507
    assert sum(m.requests for m in minutes) == stop + 2 * scrapes
    assert sum(m.aborted_requests for m in minutes) == 2 * scrapes
    assert sum(m.failed_requests for m in minutes) == scrapes


def test_kv_cache_falls_back_to_the_pre_0_9_name_and_latency_is_read(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    times = _scrapes(START - 15, END)
    prometheus.add("vllm:gpu_cache_usage_perc", _labels("old:8000"), [(t, 0.93) for t in times])
    prometheus.add("vllm:num_requests_waiting", _labels("old:8000"), [(t, 2.0) for t in times])
    prometheus.add("vllm:num_requests_running", _labels("old:8000", "0"), [(t, 3.0) for t in times])
    prometheus.add("vllm:num_requests_running", _labels("old:8000", "1"), [(t, 4.0) for t in times])
    prometheus.add("vllm:kv_cache_usage_perc", _labels("new:8000"), [(t, 0.5) for t in times])
    prometheus.add(
        "vllm:e2e_request_latency_seconds_sum",
        _labels("new:8000"),
        [(t, 100.0 + 9.0 * n) for n, t in enumerate(times)],
    )
    prometheus.add(
        "vllm:e2e_request_latency_seconds_count",
        _labels("new:8000"),
        [(t, 50.0 + 6 * n) for n, t in enumerate(times)],
    )
    (result,) = collect_telemetry(database, fleet_settings(tmp_path, prometheus.url), now=T0)
    assert result.ok, result.message
    with database.session() as session:
        servers = {s.id: s.name for s in session.scalars(select(InferenceServer))}
    by_server: dict[str, list[ServerMinute]] = {}
    for minute in _minutes(database):
        by_server.setdefault(servers[minute.server_id], []).append(minute)
    old, new = by_server["fleet/old:8000"], by_server["fleet/new:8000"]
    assert len(old) == 5 and all(m.kv_cache_max == pytest.approx(0.93) for m in old)
    assert all(m.saturated_s == 60.0 for m in old)  # waiting on a nearly full cache
    assert all(m.running_max == 7.0 for m in old)  # summed over engines
    assert all(m.kv_cache_max == pytest.approx(0.5) for m in new)
    assert sum(m.latency_count for m in new) == 6 * 20
    assert sum(m.latency_sum_s for m in new) == pytest.approx(9.0 * 20)


def test_a_scrape_gap_across_the_window_start_is_counted_not_lost(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    # scraped until 09:47, nothing for 9 minutes (Prometheus restarted), then from 09:56
    before = [(START - 480 + 15 * n, 100.0 + 10 * n) for n in range(-8, 1)]
    after = [(START + 60 + 15 * n, 400.0 + 10 * n) for n in range(16)]
    prometheus.add(
        "vllm:request_success_total",
        _labels("a:8000", finished_reason="stop"),
        before + after,
    )
    (result,) = collect_telemetry(database, fleet_settings(tmp_path, prometheus.url), now=T0)
    assert result.ok, result.message
    # 100 → 400 across the gap, then 15 × 10
    assert sum(m.requests for m in _minutes(database)) == 300 + 150


def test_latency_buckets_are_read_through_the_fleet_with_resets_and_engines(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    times = _scrapes(START - 15, END - 15)
    # engine 0: each bound grows by (1, 3, 4) a scrape and restarts at the 10th scrape;
    # engine 1: every request under 0.1 s, +1 a scrape. One query per bucket name, le kept.
    for le, step in (("0.1", 1.0), ("0.25", 3.0), ("+Inf", 4.0)):
        engine0 = [
            (t, step * (n - 10 + 1) if n >= 10 else 100 + step * n) for n, t in enumerate(times)
        ]
        prometheus.add("vllm:time_to_first_token_seconds_bucket", _labels("a:8000", le=le), engine0)
        prometheus.add(
            "vllm:time_to_first_token_seconds_bucket",
            _labels("a:8000", "1", le=le),
            [(t, 50.0 + n) for n, t in enumerate(times)],
        )
    prometheus.add(
        "vllm:request_queue_time_seconds_bucket",
        _labels("a:8000", le="+Inf"),
        [(t, 2.0 * n) for n, t in enumerate(times)],
    )
    (result,) = collect_telemetry(database, fleet_settings(tmp_path, prometheus.url), now=T0)
    assert result.ok, result.message
    found = {h.metric: h for h in latency_histograms(database, END_DAY, NEXT_DAY)}
    scrapes = len(times) - 1
    # the reset's increase is its new value (step * 1), so every scrape adds one step
    assert found["ttft"].server == "fleet/a:8000"
    assert found["ttft"].buckets == [
        (0.1, (1 + 1) * scrapes),
        (0.25, (3 + 1) * scrapes),
        (math.inf, (4 + 1) * scrapes),
    ]
    assert found["queue"].buckets == [(math.inf, 2 * scrapes)]
    summary = latency_summary(list(found.values()))
    # 40 of 100 under 0.1 s, 80 under 0.25 s: p50 interpolates to 137.5 ms, p95 is the
    # highest finite bound
    assert (summary["local_ttft_p50_ms"], summary["local_ttft_p95_ms"]) == (138, 250)
