"""vLLM instances through a Prometheus fleet are read in batches with bounded answers.

The fake Prometheus records how many samples each answer held, so the bound is checked on
what was really served, and the stored totals are compared with what the servers counted.
"""

from __future__ import annotations

import itertools
import math
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from golocal.db.database import Database
from golocal.db.models import InferenceServer, ServerMinute
from golocal.jobs.fleet_reads import BUCKET_NAMES, COUNTER_NAMES, SERVER_GAUGES, merge_series
from golocal.jobs.sources import fleet_batches
from golocal.jobs.sources.fleet_batches import lead_seconds, raw_plan
from golocal.jobs.telemetry import collect_telemetry
from tests.fakes.prometheus import FakePrometheus
from tests.jobs.telemetry_fixtures import T0, fleet_settings, prometheus

__all__ = ["prometheus"]

MODEL = "Qwen/Qwen2.5-Coder-32B"
END = T0.replace(second=0).timestamp()  # the collection at T0 reads the minutes up to 10:00
START = END - 300


def _serve(
    prometheus: FakePrometheus, instances: int, first: float, last: float, *, full: bool = True
) -> None:
    """``instances`` vLLM servers scraped every 15 s: +2 requests and +800 prompt tokens a
    scrape; with ``full``, 8 counter series (3 latency buckets among them) and 4 gauges
    each, else the requests counter and one gauge."""
    times = [first + 15 * n for n in range(int((last - first) // 15) + 1)]
    for i in range(instances):
        labels = {"instance": f"10.1.{i // 250}.{i % 250}:8000", "job": "vllm"}
        labels |= {"model_name": MODEL, "engine": "0"}
        grow = [(t, 2.0 * n) for n, t in enumerate(times)]
        prometheus.add("vllm:request_success_total", labels | {"finished_reason": "stop"}, grow)
        prometheus.add("vllm:num_requests_running", labels, [(t, 3.0) for t in times])
        if not full:
            continue
        prometheus.add("vllm:prompt_tokens_total", labels, [(t, 400 * v) for t, v in grow])
        for name in (
            "generation_tokens_total",
            "e2e_request_latency_seconds_count",
            "e2e_request_latency_seconds_sum",
        ):
            prometheus.add(f"vllm:{name}", labels, grow)
        for le in ("0.1", "1.0", "+Inf"):
            bucket = "vllm:time_to_first_token_seconds_bucket"
            prometheus.add(bucket, labels | {"le": le}, grow)
        for name, value in (
            ("num_requests_waiting", 0.0),
            ("kv_cache_usage_perc", 0.4),
            ("gpu_cache_usage_perc", 0.4),
        ):
            prometheus.add(f"vllm:{name}", labels, [(t, value) for t in times])


def _totals(database: Database) -> tuple[int, int, int]:
    with database.session() as session:
        servers = session.scalar(select(func.count()).select_from(InferenceServer)) or 0
        requests = session.scalar(select(func.sum(ServerMinute.requests))) or 0
        prompt = session.scalar(select(func.sum(ServerMinute.prompt_tokens))) or 0
    return servers, requests, prompt


def _vllm_answers(prometheus: FakePrometheus) -> list[tuple[str, int]]:
    return [(query, samples) for query, samples in prometheus.answers if "vllm:" in query]


def test_300_instances_take_a_few_bounded_queries_not_one_per_metric(
    database: Database,
    prometheus: FakePrometheus,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fleet_batches, "SERIES_PER_QUERY", 1_000)
    monkeypatch.setattr(fleet_batches, "SAMPLES_PER_QUERY", 10_000)
    _serve(prometheus, 300, START - 600, END + 30)
    (result,) = collect_telemetry(database, fleet_settings(tmp_path, prometheus.url), now=T0)
    assert result.ok, result.message
    # every minute of every instance, exactly as served: 4 scrapes of +2 requests a minute
    assert _totals(database) == (300, 300 * 5 * 8, 300 * 5 * 8 * 400)

    answers = _vllm_answers(prometheus)
    assert max(samples for _query, samples in answers) <= 10_000  # no answer over the cap
    discovery = [q for q, _ in answers if q.startswith(("count by", "max by"))]
    checks = [q for q, _ in answers if q.startswith("label_replace")]
    reads = [q for q, _ in answers if not q.startswith(("count by", "max by", "label_replace"))]
    assert len(discovery) == 4  # counter series, bucket series, their density, gauge series
    assert len(checks) == 1  # the buckets' resets and series, every instance at once
    # every read asks for every wanted name of its kind at once, for a batch of instances
    counters = [q for q in reads if "vllm:request_success_total" in q]
    buckets = [q for q in reads if "_bucket" in q]
    gauges = [q for q in reads if "vllm:num_requests_running" in q]
    assert all(all(name in q for name in COUNTER_NAMES) for q in counters)
    assert all(all(name in q for name in BUCKET_NAMES) for q in buckets)
    assert all(all(name in q for name in SERVER_GAUGES) for q in gauges)
    assert len(counters) + len(buckets) + len(gauges) == len(reads)
    # 4 gauge series an instance (1,200 in all): 250 instances (1,000 series) a batch,
    # ceil(1,200 / 1,000) = 2 queries of 5 one-minute steps each
    assert len(gauges) == math.ceil(300 * 4 / 1_000)
    # counters: 5 series x 4 samples a minute = 20 an instance, batched to half the cap:
    # 250 instances read a minute at a time ((1 + 1) minutes x 5,000 <= 10,000) over the 5
    # minutes and the two 15 s scrapes (and a second) before them, 6 reads; the other 50 in
    # one read of 9 minutes. One query per metric name was 5, each answer unbounded.
    assert len(counters) == math.ceil((300 + 31) / 60) + 1
    # buckets, no reset among them: the 31 s before each of the 6 minute boundaries, about
    # 3 samples a series (4 counted), 3 series an instance: one batch, one read a boundary
    assert len(buckets) == 6
    assert all(q.endswith("[31s]") for q in buckets)


def test_a_six_hour_catch_up_is_cut_into_bounded_reads_and_counts_every_request(
    database: Database,
    prometheus: FakePrometheus,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fleet_batches, "SAMPLES_PER_QUERY", 500)
    earlier = T0 - timedelta(hours=6)
    _serve(prometheus, 5, earlier.timestamp() - 15 * 60 - 5, END + 30, full=False)
    settings = fleet_settings(tmp_path, prometheus.url)
    (first,) = collect_telemetry(database, settings, now=earlier)
    prometheus.answers.clear()
    (second,) = collect_telemetry(database, settings, now=T0)  # down for six hours
    assert first.ok and second.ok, (first.message, second.message)
    answers = _vllm_answers(prometheus)
    raw = [q for q, _ in answers if q.endswith("s]")]
    assert len(raw) > 30  # 6 h of 5 x 2 series at 4 samples a minute: many bounded reads
    assert max(samples for _query, samples in answers) <= 500
    # 09:55 the day before... 03:55 to 10:00 at 15 s: 1,460 scrapes of +2, all counted once
    assert _totals(database)[1] == 5 * 1_460 * 2
    with database.session() as session:
        minutes = session.scalar(select(func.count()).select_from(ServerMinute))
    assert minutes == 5 * (6 * 60 + 5)


def test_only_instances_with_a_gap_are_read_back_an_hour(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    _serve(prometheus, 3, START - 600, END + 30, full=False)
    # this one was not scraped from 09:47 to 09:56: its first increase spans the gap
    gap = {"instance": "gap:8000", "job": "vllm", "model_name": MODEL, "engine": "0"}
    samples = [(START - 480 - 15 * n, 100.0 - n) for n in range(8)]
    samples += [(START + 60 + 15 * n, 400.0 + 10 * n) for n in range(16)]
    prometheus.add("vllm:request_success_total", gap | {"finished_reason": "stop"}, samples)
    (result,) = collect_telemetry(database, fleet_settings(tmp_path, prometheus.url), now=T0)
    assert result.ok, result.message
    assert _totals(database)[1] == 3 * 5 * 8 + 300 + 150
    back = [q for q, _ in prometheus.answers if "gap:8000" in q]
    assert back and all("10.1." not in q for q in back)  # that instance alone


@pytest.mark.parametrize("density", [4, 13, 60])
def test_raw_reads_cover_the_range_and_stay_under_the_budget(density: int) -> None:
    counts = {f"n{i}": 7 + i % 5 for i in range(40)}
    start, end = 1_000.0, 1_000.0 + 3_917.5
    reads = raw_plan(
        counts, {f"n{i}": density for i in range(40)}, start, end, block=120, budget=3_000
    )
    for batch in {tuple(b) for b, _at, _s in reads}:
        spans = sorted((at - s, at) for b, at, s in reads if tuple(b) == batch)
        assert spans[0][0] <= start and spans[-1][1] == end
        assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))  # no hole
        # a read of s seconds straddles at most s / block + 1 density blocks
        worst = max(s for b, _at, s in reads if tuple(b) == batch) // 120 + 1
        assert worst * density * sum(counts[i] for i in batch) <= 3_000


def test_a_sample_read_twice_at_a_boundary_counts_once() -> None:
    labels = {"instance": "a:8000"}
    first = [("vllm:request_success_total", labels, [(10.0, 1.0), (25.0, 3.0)])]
    second = [("vllm:request_success_total", dict(labels), [(25.0, 3.0), (40.0, 4.0)])]
    assert merge_series(first, second) == [
        ("vllm:request_success_total", labels, [(10.0, 1.0), (25.0, 3.0), (40.0, 4.0)])
    ]


@pytest.mark.parametrize(
    ("density", "lead"),
    [({"a": 12, "b": 4}, 31), ({"a": 12}, 11), ({"a": 12, "b": 0}, 300), ({"a": 1}, 121)],
)
def test_the_lead_holds_two_scrapes_of_the_slowest_instance(density, lead) -> None:
    assert lead_seconds(density, 60, ["a", "b"] if "b" in density else ["a"], 300) == lead
    assert lead_seconds(density, 60, ["a", "unknown"], 300) == 300
