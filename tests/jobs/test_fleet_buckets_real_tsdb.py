"""Latency buckets read at the minutes' boundaries from a real Prometheus and a real
VictoriaMetrics count what every raw sample counts, and the engines' own ``resets`` sends a
restarted instance to the raw read.

The engines are loaded with three vLLM instances' bucket samples, 5 s apart, three hours
in the past: one steady, one restarted half a minute before the window's end (climbing
past its earlier value, so only ``resets`` sees it), one missing the scrapes around a
minute boundary. The two last minutes are then read both ways.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from golocal.jobs import fleet_reads
from golocal.jobs.fleet_reads import (
    BUCKET_NAMES,
    SERVER_COUNTERS,
    bucket_boundaries,
    raw_density,
    series_per_instance,
    server_series,
)
from golocal.jobs.sources.fleet_batches import lead_seconds
from golocal.jobs.sources.fleet_servers import NEAR_SECONDS, fleet_server_minutes
from tests.tsdb import Samples, Tsdb

TTFT = "vllm:time_to_first_token_seconds_bucket"
END = float(int(time.time() // 60) * 60 - 3 * 3600)  # a whole minute, three hours ago
START = END - 120


def _history(instance: str) -> list[tuple[float, float]]:
    samples = []
    for n in range(200):
        at = END - 900 + 5 * n
        if instance == "gap" and END - 75 < at < END - 50:
            continue  # no scrape from 11:58:50 to 11:59:05 (END = 12:00)
        value = float(3 * n)
        if instance == "restarted" and at >= END - 30:
            value = 150.0 * (n - 174)  # 0 at the restart, then past the 519 before it
        samples.append((at, value))
    return samples


def _series() -> Samples:
    return [
        (TTFT, _labels(name, le), _history(name))
        for name in ("steady", "restarted", "gap")
        for le in ("0.1", "+Inf")
    ]


def _labels(name: str, le: str) -> dict[str, str]:
    return {"instance": f"{name}:8000", "model_name": "m", "engine": "0", "le": le}


def _minutes(url: str) -> list[object]:
    with httpx.Client() as client:
        counters, gauges = server_series(client, url, START, END)
    return list(fleet_server_minutes(counters, gauges, start=START, end=END))


def test_bucket_boundaries_agree_with_raw_samples_on_a_real_engine(
    backfilled_tsdb: Callable[[Samples], Tsdb],
) -> None:
    engine = backfilled_tsdb(_series())
    with httpx.Client() as client:
        counts = series_per_instance(client, engine.url, BUCKET_NAMES, START - NEAR_SECONDS, END)
        density, block = raw_density(client, engine.url, SERVER_COUNTERS, START - NEAR_SECONDS, END)
        lead = lead_seconds(density, block, counts, NEAR_SECONDS)
        sampled, unsure = bucket_boundaries(
            client, engine.url, (counts, density, block), START, END, lead
        )
    assert counts == {"steady:8000": 2, "restarted:8000": 2, "gap:8000": 2}
    assert lead == 11  # two 5 s scrapes and a second
    assert unsure == {"restarted:8000", "gap:8000"}
    # the steady buckets: their last samples before 11:58, 11:59 and 12:00
    assert {tuple(samples) for _name, _labels, samples in sampled} == {
        ((END - 125, 465.0), (END - 65, 501.0), (END - 5, 537.0))
    }

    minutes = _minutes(engine.url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fleet_reads, "BOUNDARY_MINUTES", 0)  # every sample, raw
        assert minutes == _minutes(engine.url)
    by_instance = {(m.instance, m.minute_start): m.values for m in minutes}  # type: ignore[attr-defined]
    # 12 scrapes of +3 a minute; the restart counts its new value, then +150 a scrape
    assert by_instance[("steady:8000", END - 60)]["hist:ttft:0.1"] == 36
    assert by_instance[("restarted:8000", END - 60)]["hist:ttft:0.1"] == 6 * 3 + 0 + 5 * 150
