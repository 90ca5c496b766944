"""Latency histogram buckets: kept from vLLM's /metrics, percentiles like histogram_quantile."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from golocal.db.database import Database
from golocal.db.latency import LatencyHistogram, latency_histograms
from golocal.jobs.latency import latency_summary, quantile
from tests.fakes.inference_servers import VllmEngine, vllm_metrics
from tests.fakes.server import LoopbackServer
from tests.jobs.telemetry_fixtures import T0, fake
from tests.jobs.test_inference_semantics import _scrape_all, _settings

__all__ = ["fake"]  # fixtures

INF = math.inf
BUCKETS = [(0.1, 20), (0.25, 50), (0.5, 60), (INF, 60)]


@pytest.mark.parametrize(
    ("q", "seconds"),
    [
        (0.5, 0.15),  # rank 30 of 60: 10 of the 30 in (0.1, 0.25] → 0.1 + 0.15 × 1/3
        (0.25, 0.1 * 15 / 20),  # rank 15 in the first bucket, interpolated from 0
        (0.95, 0.25 + 0.25 * (57 - 50) / 10),
        (1.0, 0.5),
    ],
)
def test_quantile_interpolates_inside_the_bucket_like_histogram_quantile(q, seconds):
    assert quantile(q, BUCKETS) == pytest.approx(seconds)


def test_a_rank_in_the_inf_bucket_is_the_highest_finite_bound_and_empty_is_none():
    assert quantile(0.99, [(0.1, 10), (INF, 100)]) == 0.1
    assert quantile(0.5, []) is None and quantile(0.5, [(0.1, 0), (INF, 0)]) is None


def test_cloud_is_typical_not_measured_and_ttft_stands_beside_ttft():
    histograms = [
        LatencyHistogram("a", "m", "ttft", BUCKETS),
        LatencyHistogram("b", "m", "ttft", BUCKETS),
    ]
    summary = latency_summary(histograms)
    assert summary["local_ttft_p50_ms"] == 150 and summary["local_ttft_requests"] == 120
    assert summary["local_e2e_p50_ms"] is None  # not measured: None, never 0
    assert summary["cloud"]["source"] == "typical"
    assert summary["cloud"]["label"] == "typical, not measured"
    assert summary["cloud"]["metric"] == "ttft"
    assert [s["server"] for s in summary["servers"]] == ["a", "b"]


def test_vllm_ttft_buckets_are_stored_as_hourly_increases(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, fake.url, "vllm")
    before = {"0.1": 10.0, "0.25": 30.0, "0.5": 40.0, "+Inf": 40.0}
    after = {"0.1": 30.0, "0.25": 80.0, "0.5": 100.0, "+Inf": 100.0}
    bodies = [
        vllm_metrics([VllmEngine(success={"stop": 40.0}, ttft=before)]),
        vllm_metrics([VllmEngine(success={"stop": 100.0}, ttft=after)]),
    ]
    _scrape_all(database, settings, bodies, fake)
    day = T0.date()
    found = {
        h.metric: h
        for h in latency_histograms(database, day, date.fromordinal(day.toordinal() + 1))
    }
    # the first scrape is the baseline; the second adds what each cumulative bucket grew by
    assert found["ttft"].buckets == [(0.1, 20), (0.25, 50), (0.5, 60), (INF, 60)]
    assert found["ttft"].server == "box"
    # the end-to-end histogram vLLM always exposes is kept too
    assert found["e2e"].buckets[-1] == (INF, 60)
    summary = latency_summary(list(found.values()))
    assert summary["local_ttft_p50_ms"] == 150


def test_latency_buckets_follow_the_hourly_retention(database: Database) -> None:
    from datetime import timedelta

    from golocal.db.latency import add_latency_buckets
    from golocal.db.retention import RetentionPolicy, apply_retention
    from golocal.db.telemetry import register_server

    server = register_server(database, name="box", kind="vllm", url="", model=None, seen_at=T0)
    old, recent = T0, T0 + timedelta(days=399)
    for at in (old, recent, recent):  # two scrapes in one hour add up
        add_latency_buckets(database, server, at, {"hist:ttft:0.1": 3, "hist:ttft:+Inf": 4})
    deleted = apply_retention(
        database, RetentionPolicy(14, 400, None), now=T0 + timedelta(days=401)
    )
    assert deleted["server_latency_buckets"] == 2  # the old hour's two bounds
    kept = latency_histograms(database, recent.date(), recent.date() + timedelta(days=1))
    assert kept[0].buckets == [(0.1, 6), (INF, 8)]


def test_old_days_are_packed_and_every_answer_stays(database: Database) -> None:
    from datetime import timedelta

    from sqlalchemy import func, insert, select

    from golocal.db.latency import add_latency_buckets
    from golocal.db.models import ServerLatencyBucket, ServerLatencyDay
    from golocal.db.retention import RetentionPolicy, apply_retention
    from golocal.db.telemetry import delete_telemetry_sources, register_server

    servers = [
        register_server(database, name=n, kind="vllm", url="", model=None, seen_at=T0)
        for n in ("a", "b")
    ]
    first = T0.replace(hour=0)

    def scrape(hour: int) -> None:
        for server in servers:
            add_latency_buckets(
                database,
                server,
                first + timedelta(hours=hour),
                {"hist:ttft:0.1": hour % 3, "hist:ttft:+Inf": 4 + server, "hist:e2e:+Inf": 1},
            )

    for hour in range(0, 24 * 3, 5):  # three days, every fifth hour
        scrape(hour)
    with database.engine.begin() as connection:  # an hour row, as earlier versions wrote them
        connection.execute(
            insert(ServerLatencyBucket),
            {"server_id": servers[1], "bucket_start": first + timedelta(hours=30),
             "metric": "e2e", "le": "+Inf", "count": 1000},
        )  # fmt: skip
    windows = [(first.date() + timedelta(days=d), first.date() + timedelta(days=d + n))
               for d in range(3) for n in range(1, 4 - d)]  # fmt: skip
    before = [latency_histograms(database, *window) for window in windows]

    def rows(model: type) -> int:
        with database.engine.connect() as connection:
            query = select(func.count()).select_from(model)
            return int(connection.execute(query).scalar_one())

    now = first + timedelta(days=3, hours=12)  # the first two days are packed, not the third
    done = apply_retention(database, RetentionPolicy(), now=now)

    assert done["server_latency_days:packed"] == 2 * 2
    assert [latency_histograms(database, *window) for window in windows] == before
    # the third day stays a row per server and bound
    assert (rows(ServerLatencyBucket), rows(ServerLatencyDay)) == (2 * 3, 4)
    assert apply_retention(database, RetentionPolicy(), now=now)["server_latency_days:packed"] == 0

    scrape(7)  # a late increase into a packed day joins it
    apply_retention(database, RetentionPolicy(), now=now)
    day = first.date()
    late = {
        (h.server, h.metric): h.buckets
        for h in latency_histograms(database, day, day + timedelta(1))
    }
    early = {(h.server, h.metric): h.buckets for h in before[0]}
    (low, below), (_, total) = early[("a", "ttft")]
    assert late[("a", "ttft")] == [(low, below + 1), (INF, total + 4 + servers[0])]
    assert late[("a", "e2e")] == [(INF, early[("a", "e2e")][0][1] + 1)]
    assert rows(ServerLatencyDay) == 4

    delete_telemetry_sources(database, prefix="")
    assert rows(ServerLatencyDay) == 0
