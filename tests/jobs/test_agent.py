"""The GPU node agent: samples from scripted NVML, served as Prometheus text and JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from golocal.bot.cli import cli
from golocal.config.settings import load_settings
from golocal.db.database import Database
from golocal.db.models import Gpu, GpuMinute
from golocal.errors import UsageError
from golocal.jobs.agent import GpuAgent, make_server
from golocal.jobs.http_serving import make_route_server, parse_listen
from golocal.jobs.sources import nvml
from golocal.jobs.sources.gpu_metrics import parse_gpu_metrics
from golocal.jobs.telemetry import collect_telemetry
from tests.fakes.nvml import NOT_SUPPORTED, ScriptedGpu, install
from tests.fakes.server import QUICK_SHUTDOWN


@pytest.fixture(autouse=True)
def fresh_nvml() -> Iterator[None]:
    nvml.shutdown()
    yield
    nvml.shutdown()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    install(
        monkeypatch,
        [
            ScriptedGpu(),
            ScriptedGpu(uuid="GPU-b", name="NVIDIA L40S", energy_mj=NOT_SUPPORTED, reasons=0x41),
            ScriptedGpu(uuid="GPU-c", lost=True),
        ],
    )
    agent = GpuAgent(host="node1", sample_seconds=3600)
    server = make_server(agent, "127.0.0.1", 0)
    agent.start_sampling()
    thread = threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    agent.stop()


def test_metrics_read_back_with_the_prometheus_parser(served: str) -> None:
    response = httpx.get(f"{served}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")

    samples = {
        (s.name, s.labels.get("gpu"), s.labels.get("reason")): (s.labels, s.value)
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }

    labels, power = samples[("golocal_gpu_power_watts", "0", None)]
    assert labels == {
        "gpu": "0",
        "uuid": "GPU-00000000-0000-4000-8000-000000000000",
        "name": "NVIDIA H100 80GB HBM3",
        "host": "node1",
        # set on MIG devices only; Prometheus drops an empty label
        "parent_uuid": "",
        "mig_profile": "",
    }
    assert power == pytest.approx(512.345)
    assert samples[("golocal_gpu_energy_joules_total", "0", None)][1] == pytest.approx(4_821_033)
    assert ("golocal_gpu_energy_joules_total", "1", None) not in samples  # not supported
    assert samples[("golocal_gpu_throttled", "0", None)][1] == 1.0  # SwPowerCap
    assert samples[("golocal_gpu_clock_event_reason", "1", "HwThermalSlowdown")][1] == 1.0
    assert samples[("golocal_gpu_clock_event_reason", "1", "GpuIdle")][1] == 1.0
    assert samples[("golocal_gpu_lost", "2", None)][1] == 1.0
    assert ("golocal_gpu_utilization_percent", "2", None) not in samples
    assert samples[("golocal_gpu_telemetry_available", None, None)][1] == 1.0

    # golocal's own scraper understands the agent
    points = parse_gpu_metrics(response.text, at=0.0, default_host="x")
    by_index = {p.index: p for p in points}
    assert by_index[0].host == "node1"
    assert by_index[0].mem_total_mib == pytest.approx(85_899_345_920 / 2**20)
    assert by_index[1].energy_j is None
    assert by_index[2].lost == 1.0


def test_sample_json(served: str) -> None:
    body = httpx.get(f"{served}/v1/sample").json()
    assert body["host"] == "node1"
    assert [g["uuid"] for g in body["gpus"]] == [
        "GPU-00000000-0000-4000-8000-000000000000",
        "GPU-b",
        "GPU-c",
    ]
    assert body["gpus"][0]["processes"] == [
        {"pid": 4242, "used_memory_bytes": 42 * 1024**3},
        {"pid": 4343, "used_memory_bytes": None},
    ]
    assert body["gpus"][2]["lost"] is True
    assert body["reason"] is None
    assert httpx.get(f"{served}/nothing").status_code == 404


def test_scrapes_never_wait_for_a_slow_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [ScriptedGpu()])
    release = threading.Event()
    agent = GpuAgent(host="n", sample_seconds=3600)
    agent.sample_once()

    def stuck() -> nvml.NvmlSample:
        release.wait(10)
        return nvml.read_gpus()

    agent.read = stuck
    worker = threading.Thread(target=agent.sample_once)
    worker.start()
    try:
        # the sampler is stuck in NVML, yet the last sample is served
        assert b"golocal_gpu_power_watts" in agent.metrics_text()
    finally:
        release.set()
        worker.join()


def test_once_json_without_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [], init_error=9)  # NVML_ERROR_DRIVER_NOT_LOADED
    result = CliRunner().invoke(cli, ["agent", "--once", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["gpus"] == []
    assert body["reason"] == "no local GPU telemetry: the NVIDIA driver is not loaded"


def test_once_text(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [ScriptedGpu()])
    result = CliRunner().invoke(cli, ["agent", "--once"])
    assert result.exit_code == 0, result.output
    assert "NVIDIA H100 80GB HBM3" in result.output
    assert "power 512.345 W" in result.output
    assert "throttled: SwPowerCap" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10.0.0.5:9835", ("10.0.0.5", 9835)), ("[::1]:80", ("::1", 80)), (":9", ("127.0.0.1", 9))],
)
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


def test_bad_listen_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [])
    result = CliRunner().invoke(cli, ["agent", "--listen", "nowhere"])
    assert isinstance(result.exception, UsageError)
    assert result.exception.exit_code == 2
    assert result.exception.message == "--listen: 'nowhere' is not HOST:PORT"


def test_collect_from_a_golocal_agent(
    served: str, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "golocal.toml"
    path.write_text(f'[[gpu_agents]]\nname = "node1"\nurl = "{served}/metrics"\n')
    settings = load_settings(path)
    t0 = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)

    collect_telemetry(database, settings, now=t0)
    (result,) = collect_telemetry(database, settings, now=t0 + timedelta(seconds=15))

    assert result.ok, result.message
    with database.session() as session:
        gpus = {g.uuid: g for g in session.scalars(select(Gpu))}
        minutes = session.scalars(select(GpuMinute)).all()
    assert set(gpus) == {"GPU-00000000-0000-4000-8000-000000000000", "GPU-b"}
    assert gpus["GPU-b"].name == "NVIDIA L40S"
    assert gpus["GPU-b"].memory_total_mib == 81920
    assert {m.samples for m in minutes} == {2}
    assert all(m.throttled_s == 30.0 for m in minutes)  # SwPowerCap / HwThermalSlowdown


def test_mig_devices_travel_from_the_agent_as_devices_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mig = ScriptedGpu(
        uuid="MIG-1111",
        name="NVIDIA A100-SXM4-80GB MIG 3g.40gb",
        util=NOT_SUPPORTED,
        memory=(40 * 1024**3, 12_000 * 1024**2, 0),
        memory_v2=False,
    )
    install(monkeypatch, [ScriptedGpu(uuid="GPU-aaa", util=NOT_SUPPORTED, mig=[mig])])
    agent = GpuAgent(host="node1", sample_seconds=3600)
    agent.sample_once()
    points = parse_gpu_metrics(agent.metrics_text().decode(), at=0.0, default_host="node1")
    by_uuid = {p.uuid: p for p in points}
    assert set(by_uuid) == {"GPU-aaa", "MIG-1111"}
    assert (by_uuid["MIG-1111"].parent_uuid, by_uuid["MIG-1111"].mig_profile) == (
        "GPU-aaa",
        "3g.40gb",
    )
    assert by_uuid["MIG-1111"].mem_used_mib == 12_000
    assert by_uuid["MIG-1111"].power_w is None and by_uuid["GPU-aaa"].power_w is not None
    assert by_uuid["MIG-1111"].util_percent is None  # an A100: no GPM, so unknown


def test_mig_utilisation_from_gpm_travels_from_the_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    mig = ScriptedGpu(
        uuid="MIG-2222",
        name="NVIDIA H100 80GB HBM3 MIG 3g.40gb",
        util=NOT_SUPPORTED,
        memory=(40 * 1024**3, 12_000 * 1024**2, 0),
        memory_v2=False,
        gpu_instance_id=2,
        gpm=(64.0, 18.5),
    )
    install(
        monkeypatch,
        [ScriptedGpu(uuid="GPU-hhh", util=NOT_SUPPORTED, gpm_supported=True, mig=[mig])],
    )
    agent = GpuAgent(host="node1", sample_seconds=3600)
    agent.sample_once()
    points = parse_gpu_metrics(agent.metrics_text().decode(), at=0.0, default_host="node1")
    by_uuid = {p.uuid: p for p in points}
    assert (by_uuid["MIG-2222"].util_percent, by_uuid["MIG-2222"].mem_util_percent) == (64.0, 18.5)
    assert by_uuid["GPU-hhh"].util_percent is None


def test_a_scraper_hanging_up_is_not_a_traceback_but_a_fault_is(
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = make_route_server({"/x": lambda: (200, b"", "text/plain")}, "127.0.0.1", 0, name="t")
    try:
        for error in (BrokenPipeError(32, "Broken pipe"), ValueError("a bug of ours")):
            try:
                raise error
            except Exception:
                server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server_close()
    printed = capsys.readouterr().err
    assert "BrokenPipeError" not in printed
    assert "ValueError: a bug of ours" in printed
