"""The fleet source against a real Prometheus and a real VictoriaMetrics.

Each engine scrapes two real endpoints every second: ``golocal agent`` sampling scripted NVML
(two GPUs on node-a) and a dcgm-exporter-format ``/metrics`` served by the test (two GPUs on
node-b). golocal's ``[[prometheus]]`` source reads the engine's API twice; between the two
reads every GPU's energy counter steps by a known amount (in a later minute than the first
read, whose first sample is the counter's baseline). The stored inventory, gauges and
energy must be exactly what was served: the same four GPUs, each minute's utilisation and
power the served values, and each GPU's stored energy the step it made.

A vLLM-format ``/metrics`` served by the test goes through the same engines: golocal's
batched reads (series and density discovery, raw counter samples, one-minute gauges) must
store exactly the requests, tokens and latency buckets the counters stepped by. No test
waits for a wall-clock minute: the reads' baselines carry over between collections, and
the vLLM read names a collection time after the last sample.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from golocal.db.latency import latency_histograms
from golocal.db.models import Gpu, GpuMinute, ServerMinute
from golocal.jobs.agent import GpuAgent, make_server
from golocal.jobs.sources import nvml
from golocal.jobs.telemetry import collect_telemetry
from tests.fakes.dcgm import DcgmGpu, dcgm_metrics
from tests.fakes.inference_servers import VllmEngine, vllm_metrics
from tests.fakes.nvml import ScriptedGpu, install
from tests.fakes.server import PROMETHEUS_TEXT, QUICK_SHUTDOWN, LoopbackServer, Reply
from tests.jobs.telemetry_fixtures import settings_for


def agent_gpus() -> list[ScriptedGpu]:
    return [
        ScriptedGpu(uuid="GPU-a0", util=(81, 30), power_mw=401_000, energy_mj=9_000_000_000),
        ScriptedGpu(uuid="GPU-a1", util=(23, 10), power_mw=155_500, energy_mj=7_000_000_000),
    ]


def dcgm_gpus() -> list[DcgmGpu]:
    return [
        DcgmGpu(gpu=0, uuid="GPU-b0", host="node-b", util=64.0, power=302.25, energy_mj=5e9),
        DcgmGpu(gpu=1, uuid="GPU-b1", host="node-b", util=12.0, power=98.5, energy_mj=6e9),
    ]


#: energy each GPU uses between the two reads (J); the counters step by exactly this
STEP_J = {"GPU-a0": 3600.0, "GPU-a1": 1800.0, "GPU-b0": 7200.0, "GPU-b1": 900.0}
SERVED = {  # uuid -> (host, utilisation %, power W)
    "GPU-a0": ("node-a", 81.0, 401.0),
    "GPU-a1": ("node-a", 23.0, 155.5),
    "GPU-b0": ("node-b", 64.0, 302.25),
    "GPU-b1": ("node-b", 12.0, 98.5),
}


@pytest.fixture
def agent(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[ScriptedGpu]]]:
    """``golocal agent`` on scripted NVML, serving its /metrics on a loopback port."""
    nvml.shutdown()
    gpus = agent_gpus()
    install(monkeypatch, gpus)
    sampler = GpuAgent(host="node-a", sample_seconds=0.2)
    server = make_server(sampler, "127.0.0.1", 0)
    sampler.start_sampling()
    thread = threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/metrics", gpus
    server.shutdown()
    server.server_close()
    sampler.stop()
    nvml.shutdown()


@pytest.fixture
def dcgm() -> Iterator[tuple[str, list[DcgmGpu]]]:
    """A dcgm-exporter-format /metrics of two GPUs, rendered from their current values."""
    gpus = dcgm_gpus()
    with LoopbackServer(default_content_type=PROMETHEUS_TEXT) as exporter:
        exporter.script("/metrics", lambda _request: Reply(body=dcgm_metrics(gpus)))
        yield f"{exporter.url}/metrics", gpus


def test_fleet_totals_read_through_a_real_engine_are_what_was_served(
    tsdb, agent, dcgm, sqlite_database, tmp_path: Path
) -> None:
    # the engines are what is under test here; the database side runs on both dialects in
    # the collection tests
    database = sqlite_database
    (agent_url, agent_served), (dcgm_url, dcgm_served) = agent, dcgm
    engine = tsdb([agent_url, dcgm_url])
    energy = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION or golocal_gpu_energy_joules_total"
    engine.wait_until(f"count({energy})", lambda values: values == [4.0])
    settings = settings_for(
        tmp_path, f'[[prometheus]]\nname = "fleet"\nurl = "{engine.url}"\nstep_seconds = 1\n'
    )
    started = datetime.now(UTC)
    (first,) = collect_telemetry(database, settings, now=started)
    assert first.ok, first.message
    # The first reading of a counter has no baseline (its sample's energy is unknown, NULL,
    # never 0); the first read keeps the last reading as the baseline for the second, so
    # the step is counted whether or not a minute boundary falls between the reads.

    for scripted in agent_served:
        scripted.energy_mj += int(STEP_J[scripted.uuid] * 1000)
    for exported in dcgm_served:
        exported.energy_mj += STEP_J[exported.uuid] * 1000
    served_after = 9_000_000 + 3600 + 7_000_000 + 1800 + 5_000_000 + 7200 + 6_000_000 + 900
    total = (
        "sum(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION) / 1000 + sum(golocal_gpu_energy_joules_total)"
    )
    engine.wait_until(total, lambda values: values == [float(served_after)])
    time.sleep(1.5)  # the read's last 1 s step must come after the new samples
    (second,) = collect_telemetry(database, settings, now=datetime.now(UTC))
    assert second.ok, second.message

    with database.session() as session:
        gpus = {g.id: g for g in session.scalars(select(Gpu))}
        by_uuid = {g.uuid: g for g in gpus.values()}
        assert {uuid: g.host for uuid, g in by_uuid.items()} == {
            uuid: host for uuid, (host, _, _) in SERVED.items()
        }
        for uuid, (_, util, power) in SERVED.items():
            gpu_id = by_uuid[uuid].id
            minutes = session.scalars(select(GpuMinute).where(GpuMinute.gpu_id == gpu_id)).all()
            assert minutes, uuid
            assert {m.util_mean for m in minutes} == {util}, uuid
            assert {m.power_mean_w for m in minutes} == {power}, uuid
            stored_energy = session.scalar(
                select(func.sum(GpuMinute.energy_j)).where(GpuMinute.gpu_id == gpu_id)
            )
            assert stored_energy == pytest.approx(STEP_J[uuid], abs=1e-6), uuid


def test_vllm_totals_read_through_a_real_engine_are_what_was_served(
    tsdb, sqlite_database, tmp_path: Path
) -> None:
    engines = [
        VllmEngine(engine=0, success={"stop": 1000.0}, prompt_tokens=5e5, ttft={"0.1": 7.0}),
        VllmEngine(engine=1, success={"stop": 20.0}, prompt_tokens=9e3, running=3.0),
    ]
    for served in engines:
        served.ttft = {"0.1": 7.0, "+Inf": 9.0}
    with LoopbackServer(default_content_type=PROMETHEUS_TEXT) as server:
        server.script("/metrics", lambda _request: Reply(body=vllm_metrics(engines)))
        engine = tsdb([f"{server.url}/metrics"])
        engine.wait_until("count(vllm:request_success_total)", lambda values: values == [2.0])
        # every series has its baseline sample before the counters step
        time.sleep(2)
        engines[0].success["stop"] += 37
        engines[0].prompt_tokens += 41_000
        engines[1].success["stop"] += 5
        engines[0].ttft = {"0.1": 7.0 + 30, "+Inf": 9.0 + 37}
        engine.wait_until(
            "sum(vllm:request_success_total)", lambda values: values == [1000 + 37 + 20 + 5.0]
        )
        time.sleep(1.5)  # the stepped bucket and token series are scraped too
        settings = settings_for(
            tmp_path, f'[[prometheus]]\nname = "fleet"\nurl = "{engine.url}"\nstep_seconds = 1\n'
        )
        # the whole minutes up to one after now: every sample served so far, none waited for
        (result,) = collect_telemetry(
            sqlite_database, settings, now=datetime.now(UTC) + timedelta(minutes=1)
        )
    assert result.ok, result.message
    with sqlite_database.session() as session:
        minutes = session.scalars(select(ServerMinute)).all()
    assert sum(m.requests or 0 for m in minutes) == 37 + 5
    assert sum(m.prompt_tokens or 0 for m in minutes) == 41_000
    assert {m.running_max for m in minutes if m.running_max is not None} == {3.0}
    day = datetime.now(UTC).date()
    (ttft,) = [
        h
        for h in latency_histograms(sqlite_database, day, day + timedelta(days=2))
        if h.metric == "ttft"
    ]
    assert ttft.buckets[0] == (0.1, 30) and ttft.buckets[-1][1] == 37
