"""GPUs through a Prometheus fleet: MIG instances, clock-event reasons, golocal agent series.

The fake Prometheus holds raw samples labelled as dcgm-exporter labels them (MIG instances
with ``GPU_I_ID``/``GPU_I_PROFILE``, tests/fakes/dcgm.py) and as ``golocal agent`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from golocal.db.database import Database
from golocal.db.models import Gpu
from golocal.jobs.gpu_report import build_gpu_report
from golocal.jobs.telemetry import collect_telemetry
from tests.cli_runner import run_golocal
from tests.fakes.prometheus import FakePrometheus
from tests.jobs.telemetry_fixtures import T0, settings_for

END = T0.timestamp()


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    with FakePrometheus() as server:
        yield server


def _dcgm(uuid: str, host: str, gpu: str = "0", **extra: str) -> dict[str, str]:
    return {
        "gpu": gpu,
        "UUID": uuid,
        "device": f"nvidia{gpu}",
        "modelName": "NVIDIA A100-SXM4-80GB",
        "Hostname": host,
        "instance": f"{host}:9400",
        "job": "dcgm",
        **extra,
    }


def _fleet(prometheus: FakePrometheus, minutes: int = 0) -> None:
    """The fleet's series, scraped every 15 s from 6.5 minutes before T0 to ``minutes`` after."""
    times = [END - 390 + 15 * n for n in range(27 + 4 * minutes)]

    def _constant(name: str, labels: dict[str, str], value: float) -> None:
        prometheus.add(name, labels, [(t, value) for t in times])

    # node1: one A100 in MIG mode, two instances; device-level series on the parent
    gi1 = _dcgm("GPU-aaa", "node1", GPU_I_ID="1", GPU_I_PROFILE="4g.40gb")
    gi2 = _dcgm("GPU-aaa", "node1", GPU_I_ID="2", GPU_I_PROFILE="3g.40gb")
    for labels, used, free, active in ((gi1, 30_000, 10_000, 0.5), (gi2, 12_000, 28_000, 0.25)):
        _constant("DCGM_FI_DEV_FB_USED", labels, used)
        _constant("DCGM_FI_DEV_FB_FREE", labels, free)
        _constant("DCGM_FI_PROF_GR_ENGINE_ACTIVE", labels, active)
    parent = _dcgm("GPU-aaa", "node1")
    _constant("DCGM_FI_DEV_POWER_USAGE", parent, 300.0)
    _constant("DCGM_FI_DEV_CLOCKS_EVENT_REASONS", parent, 0x10)  # SyncBoost only
    # node2: a whole GPU, power-capped, on DCGM before 3.3 (the old reasons name)
    whole = _dcgm("GPU-bbb", "node2")
    _constant("DCGM_FI_DEV_GPU_UTIL", whole, 80.0)
    _constant("DCGM_FI_DEV_FB_USED", whole, 1_000.0)
    _constant("DCGM_FI_DEV_FB_FREE", whole, 79_000.0)
    _constant("DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", whole, 0x4 | 0x1)
    # ws1: a workstation running golocal agent, scraped by the same Prometheus
    agent = {
        "gpu": "0",
        "uuid": "GPU-ccc",
        "name": "NVIDIA L40S",
        "host": "ws1",
        "instance": "ws1:9835",
        "job": "golocal",
    }
    _constant("golocal_gpu_utilization_percent", agent, 55.0)
    _constant("golocal_gpu_memory_used_bytes", agent, 8 * 1024**3)
    _constant("golocal_gpu_memory_total_bytes", agent, 48 * 1024**3)
    _constant("golocal_gpu_throttled", agent, 1.0)
    prometheus.add(
        "golocal_gpu_energy_joules_total",
        agent,
        [(t, 1e6 + 200 * n * 15) for n, t in enumerate(times)],
    )


def _collect(database: Database, tmp_path: Path, url: str) -> None:
    settings = settings_for(
        tmp_path, f'[[prometheus]]\nname = "fleet"\nurl = "{url}"\nstep_seconds = 15\n'
    )
    (result,) = collect_telemetry(database, settings, now=T0)
    assert result.ok, result.message


def test_mig_instances_are_their_own_devices(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    _fleet(prometheus)
    _collect(database, tmp_path, prometheus.url)
    with database.session() as session:
        devices = {g.uuid: g for g in session.scalars(select(Gpu))}
    assert set(devices) == {"GPU-aaa", "GPU-aaa/gi1", "GPU-aaa/gi2", "GPU-bbb", "GPU-ccc"}
    assert (devices["GPU-aaa/gi1"].parent_uuid, devices["GPU-aaa/gi1"].mig_profile) == (
        "GPU-aaa",
        "4g.40gb",
    )
    assert devices["GPU-aaa/gi2"].memory_total_mib == 40_000
    report = build_gpu_report(database, T0.date(), T0.date().replace(day=3), now=T0)
    data = {g["uuid"]: g for g in report.as_json()["gpus"]}
    assert data["GPU-aaa/gi1"]["memory_used_mean_mib"] == 30_000
    assert data["GPU-aaa/gi2"]["memory_used_mean_mib"] == 12_000
    assert data["GPU-aaa/gi1"]["util_mean_percent"] == 50.0  # graphics-engine activity
    totals = report.as_json()["totals"]
    assert (totals["gpus"], totals["mig_instances"], totals["devices"]) == (3, 2, 5)
    assert totals["memory_used_mean_mib"] == 30_000 + 12_000 + 1_000 + 8 * 1024


def test_throttling_from_dcgm_clock_event_reasons_and_the_agent(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    _fleet(prometheus)
    _collect(database, tmp_path, prometheus.url)
    report = build_gpu_report(database, T0.date(), T0.date().replace(day=3), now=T0)
    data = {g["uuid"]: g for g in report.as_json()["gpus"]}
    assert data["GPU-bbb"]["throttled_minutes"] > 0  # SwPowerCap
    assert data["GPU-aaa"]["throttled_minutes"] == 0  # SyncBoost is not a throttle
    assert data["GPU-ccc"]["throttled_minutes"] > 0
    assert data["GPU-ccc"]["util_mean_percent"] == 55.0
    assert data["GPU-ccc"]["energy_kwh"] > 0


def test_report_gpus_reads_a_mig_fleet_right(
    database: Database,
    database_url: str,
    prometheus: FakePrometheus,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fleet(prometheus)
    _collect(database, tmp_path, prometheus.url)
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    args = ("report", "gpus", "--since", "2026-03-02", "--until", "2026-03-03")
    as_json = run_golocal(capsys, *args, "--json")
    assert as_json.exit_code == 0, as_json.stderr
    totals = json.loads(as_json.stdout)["totals"]
    assert totals["memory_used_mean_mib"] == 42_000 + 1_000 + 8 * 1024  # not 12,000 for node1
    text = run_golocal(capsys, *args)
    assert "MIG 4g.40gb" in text.stdout and "MIG 3g.40gb" in text.stdout


def test_a_power_capped_fleet_gpu_raises_a_throttling_alert(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    from golocal.jobs.alerts import evaluate_rules

    _fleet(prometheus, minutes=12)
    settings = settings_for(
        tmp_path, f'[[prometheus]]\nname = "fleet"\nurl = "{prometheus.url}"\nstep_seconds = 15\n'
    )
    # the alert needs its whole window (10 minutes) of rows: three collections
    for seconds in (0, 300, 600):
        (result,) = collect_telemetry(database, settings, now=T0 + timedelta(seconds=seconds))
        assert result.ok, result.message
    evaluation = evaluate_rules(database, settings, T0 + timedelta(seconds=600), [])
    throttled = [c for c in evaluation.conditions if c.rule == "gpu_throttling"]
    labels = sorted(c.details["gpu"] for c in throttled)
    assert any("node2" in label for label in labels)  # SwPowerCap from DCGM's reasons
    assert not any("node1" in label for label in labels)  # SyncBoost only: not a throttle


def test_the_chat_answer_counts_gpus_as_the_report_does(
    database: Database, prometheus: FakePrometheus, tmp_path: Path
) -> None:
    from golocal.bot.chat import answer
    from golocal.bot.services import Services
    from golocal.config.settings import load_settings

    _fleet(prometheus)
    _collect(database, tmp_path, prometheus.url)
    services = Services(load_settings(), database, clock=lambda: T0 + timedelta(hours=1))
    reply = answer("how are our GPUs doing today?", services)
    assert reply.intent == "gpus"
    assert "3 GPU(s) on 3 host(s) (split into 2 MIG instances)" in reply.text
