"""Latency buckets read at the minutes' boundaries count exactly what every raw sample counts.

A short window reads each bucket's last sample before each minute boundary instead of every
sample; the engine's ``resets`` and series counts, and the boundaries themselves, send an
instance back to the raw read whenever the two could differ (a reset, a scrape gap at a
boundary, a series that starts or stops). Histories drawn by hypothesis, with resets, gaps
and new series, give the same minutes both ways through the fake Prometheus.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golocal.jobs import fleet_reads
from golocal.jobs.fleet_reads import bucket_boundaries, server_series
from golocal.jobs.sources.fleet_servers import fleet_server_minutes
from tests.fakes.prometheus import FakePrometheus

END = 1_800_000_000.0  # a whole minute
TTFT = "vllm:time_to_first_token_seconds_bucket"
E2E = "vllm:e2e_request_latency_seconds_bucket"


def _labels(instance: str, le: str) -> dict[str, str]:
    return {"instance": instance, "model_name": "m", "engine": "0", "le": le}


@st.composite
def _history(draw: st.DrawFn) -> list[tuple[float, float]]:
    """A bucket's samples: growth, maybe a reset, maybe a gap, maybe starting late or
    stopping early."""
    every = draw(st.sampled_from([5.0, 15.0]))
    first = END - 600 + draw(st.integers(0, 500))
    last = END + 30 - draw(st.sampled_from([0, 0, 0, 40, 200]))
    times = [first + every * n for n in range(int((last - first) // every) + 1)]
    gap = draw(st.none() | st.tuples(st.integers(0, len(times)), st.integers(1, 8)))
    if gap is not None:
        times = times[: gap[0]] + times[gap[0] + gap[1] :]
    resets = set(draw(st.lists(st.integers(0, len(times)), max_size=2)))
    value, samples = draw(st.integers(0, 50)), []
    for n, at in enumerate(times):
        value = draw(st.integers(0, 3)) if n in resets else value + draw(st.integers(0, 4))
        samples.append((at, float(value)))
    return samples


def _minutes(prometheus: FakePrometheus, start: float, end: float) -> list[object]:
    with httpx.Client() as client:
        counters, gauges = server_series(client, prometheus.url, start, end)
    return list(fleet_server_minutes(counters, gauges, start=start, end=end))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories=st.lists(_history(), min_size=1, max_size=6),
    minutes=st.sampled_from([1, 2, 5]),
)
def test_boundaries_and_raw_samples_give_the_same_minutes(
    histories: list[list[tuple[float, float]]], minutes: int
) -> None:
    start = END - 60 * minutes
    with FakePrometheus() as prometheus:
        for n, samples in enumerate(histories):
            name, le = (TTFT, E2E)[n % 2], ("0.1", "1.0", "+Inf")[n // 2]
            prometheus.add(name, _labels(f"i{n % 3}:8000", le), samples)
        sampled = _minutes(prometheus, start, END)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(fleet_reads, "BOUNDARY_MINUTES", 0)  # every sample, raw
            raw = _minutes(prometheus, start, END)
    assert sampled == raw


def _steady(prometheus: FakePrometheus, instance: str, *, reset_at: float | None = None) -> None:
    for le in ("0.1", "+Inf"):
        samples = []
        for n in range(60):
            at = END - 300 + 5 * n
            # after the reset it climbs past its value before: only ``resets`` tells
            samples.append((at, float(n if reset_at is None or at < reset_at else 10 * (n - 54))))
        prometheus.add(TTFT, _labels(instance, le), samples)


def test_a_quiet_fleet_is_read_at_the_boundaries_and_a_reset_instance_raw() -> None:
    with FakePrometheus() as prometheus, httpx.Client() as client:
        _steady(prometheus, "steady:8000")
        _steady(prometheus, "restarted:8000", reset_at=END - 30)
        counts = {"steady:8000": 2, "restarted:8000": 2}
        density = {"steady:8000": 12, "restarted:8000": 12}
        series, unsure = bucket_boundaries(
            client, prometheus.url, (counts, density, 60), END - 60, END, 11
        )
    assert unsure == {"restarted:8000"}
    # the last sample before each boundary, 10:59:55 and 11:00:55 (END - 5)
    assert (
        sorted(samples for _name, _labels, samples in series)
        == [[(END - 65, 47.0), (END - 5, 59.0)]] * 2
    )


def test_a_value_that_is_not_a_count_at_a_boundary_sends_the_instance_raw() -> None:
    with FakePrometheus() as prometheus, httpx.Client() as client:
        prometheus.add(TTFT, _labels("odd:8000", "+Inf"), [(END - 62, 5.0), (END - 2, -1.0)])
        counts, density = {"odd:8000": 1}, {"odd:8000": 12}
        series, unsure = bucket_boundaries(
            client, prometheus.url, (counts, density, 60), END - 60, END, 11
        )
    assert (series, unsure) == ([], {"odd:8000"})
