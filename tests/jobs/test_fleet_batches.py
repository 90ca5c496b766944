"""Fleet reads are batched per host and bounded per answer, never a query per series or GPU."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from golocal.db.models import Gpu
from golocal.jobs.sources import fleet_batches
from golocal.jobs.sources.fleet_batches import (
    discovery_range,
    group_instances,
    regex_alternation,
    selector,
    time_chunks,
)
from golocal.jobs.telemetry import collect_telemetry
from tests.fakes.dcgm import DcgmGpu, matrix, query_range_handler
from tests.fakes.server import LoopbackServer
from tests.jobs.telemetry_fixtures import T0, fake, settings_for

__all__ = ["fake"]


@pytest.mark.parametrize(
    ("values", "matches", "misses"),
    [
        (["10.0.0.1:9400"], ["10.0.0.1:9400"], ["10a0b0c1:9400", "10.0.0.1:94000"]),
        (['we"ird\\host|x'], ['we"ird\\host|x'], ["x", 'we"ird\\host']),
        (["a", "b(c)"], ["a", "b(c)"], ["bc", "ab"]),
    ],
)
def test_regex_alternation_matches_exactly_the_values(values, matches, misses):
    literal = regex_alternation(values)
    # what Prometheus does with the string literal: unescape, then a fully anchored RE2 match
    pattern = re.compile(json.loads(f'"{literal}"'))
    assert all(pattern.fullmatch(value) for value in matches)
    assert not any(pattern.fullmatch(value) for value in misses)


def test_selector_names_every_series_and_instance():
    assert selector(["A", "B_total"], ["n1:9400"]) == '{__name__=~"A|B_total",instance=~"n1:9400"}'


def test_instances_are_grouped_without_passing_the_limit_or_splitting_one():
    counts = {f"node{i:03d}:9400": 152 for i in range(128)} | {"huge:9400": 9000}
    batches = group_instances(counts, limit=5000)
    assert sorted(i for batch in batches for i in batch) == sorted(counts)
    assert ["huge:9400"] in batches  # alone, though over the limit
    assert all(sum(counts[i] for i in b) <= 5000 for b in batches if b != ["huge:9400"])
    assert len(batches) == 5  # 32 nodes of 152 series per batch, and the big one


def test_time_chunks_keep_the_steps_and_bound_the_samples():
    start, step = 1_000.0, 15.0
    end = start + 6 * 3600  # six hours after downtime: 1,441 steps
    chunks = time_chunks(start, end, step, series=5000, budget=100_000)
    times = [
        first + k * step for first, last in chunks for k in range(int((last - first) // step) + 1)
    ]
    assert times == [start + k * step for k in range(1441)]  # the same steps as one query
    assert all(((last - first) // step + 1) * 5000 <= 100_000 for first, last in chunks)
    assert time_chunks(start, start - 1, step, series=10) == []
    assert time_chunks(start, start, step, series=10**9) == [(start, start)]  # one step at least


def test_discovery_range_ends_at_the_end_and_covers_the_start():
    first, last = discovery_range(1_000.0, 1_700.0)
    assert last == 1_700.0 and first <= 1_000.0 and (last - first) % 300 == 0


def test_collection_sends_batched_bounded_queries(
    sqlite_database, fake: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(fleet_batches, "SERIES_PER_QUERY", 20)
    monkeypatch.setattr(fleet_batches, "SAMPLES_PER_QUERY", 200)
    gpus = [DcgmGpu(g, f"GPU-{h}-{g}", host=f"node{h}") for h in range(6) for g in range(2)]
    values = {
        "DCGM_FI_DEV_GPU_UTIL": lambda t: "50",
        "DCGM_FI_DEV_POWER_USAGE": lambda t: "300",
        "DCGM_FI_DEV_FB_USED": lambda t: "1000",
        "DCGM_FI_DEV_FB_FREE": lambda t: "79000",
        "DCGM_FI_DEV_GPU_TEMP": lambda t: "60",
    }
    fake.script("/api/v1/query_range", query_range_handler(values, gpus))
    fake.script("/api/v1/query", matrix([]))  # vLLM counters' raw samples: none here
    settings = settings_for(
        tmp_path, f'[[prometheus]]\nname = "fleet"\nurl = "{fake.url}"\nstep_seconds = 15\n'
    )
    (result,) = collect_telemetry(sqlite_database, settings, now=T0)
    assert result.ok, result.message
    gpu_queries = [
        r.params for r in fake.requests_to("/api/v1/query_range") if "vllm" not in r.first("query")
    ]
    # one discovery, then 2 nodes (2 GPUs x 5 series = 10 series each) per query, and windows
    # of at most 200 / 20 = 10 steps: 5 minutes of 15 s steps (21) in 3 chunks, for 3 batches
    assert len(gpu_queries) == 1 + 3 * 3
    answers = fake.requests_to("/api/v1/query_range")
    assert all("instance=~" in q["query"][0] for q in gpu_queries[1:])
    steps = [
        (float(q["end"][0]) - float(q["start"][0])) // float(q["step"][0]) + 1
        for q in gpu_queries[1:]
    ]
    assert max(steps) * 20 <= 200  # no answer over the sample budget
    assert len(answers) >= len(gpu_queries)
    with sqlite_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Gpu)) == 12
