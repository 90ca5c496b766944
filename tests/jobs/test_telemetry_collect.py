"""Collecting local telemetry from loopback fakes of vLLM, llama.cpp, Ollama, dcgm-exporter
and Prometheus, into minute rows, rollups and local usage buckets."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from golocal.bot.cli import cli
from golocal.db.database import Database
from golocal.db.models import Gpu, GpuMinute, InferenceServer, ServerMinute, UsageBucket
from golocal.db.sources import source_state
from golocal.db.usage import source_days
from golocal.jobs.telemetry import collect_telemetry
from tests.fakes.dcgm import (
    DcgmGpu,
    dcgm_metrics,
)
from tests.fakes.inference_servers import VllmEngine, llamacpp_metrics, ollama_ps, vllm_metrics
from tests.fakes.server import LoopbackServer, Reply, Request, json_reply
from tests.jobs.telemetry_fixtures import T0, fake, other, settings_for

__all__ = ["fake", "other"]  # fixtures


def _server_minutes(database: Database) -> list[ServerMinute]:
    with database.session() as session:
        return list(session.scalars(select(ServerMinute).order_by(ServerMinute.minute)))


def _engines(stop: float, length: float, prompt: float, created: float | None = 1.79e9):
    return [
        VllmEngine(
            engine=0,
            success={"stop": stop, "length": length},
            prompt_tokens=prompt,
            generation_tokens=prompt / 10,
            running=3,
            waiting=0,
            kv_cache=0.4,
            created=created,
        ),
        VllmEngine(
            engine=1,
            success={"stop": stop / 2, "length": 0},
            prompt_tokens=prompt / 2,
            generation_tokens=prompt / 20,
            running=2,
            waiting=1,
            kv_cache=0.6,
            created=created,
        ),
    ]


def test_vllm_two_engines_baseline_then_increase(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path, f'[[inference_servers]]\nname = "coder"\nkind = "vllm"\nurl = "{fake.url}"\n'
    )
    fake.script(
        "/metrics",
        Reply(body=vllm_metrics(_engines(48_210_330, 10, 1.0e9), http_requests=9e7)),
        Reply(body=vllm_metrics(_engines(48_210_630, 12, 1.0e9 + 60_000), http_requests=9.1e7)),
    )

    (first,) = collect_telemetry(database, settings, now=T0)
    (second,) = collect_telemetry(database, settings, now=T0 + timedelta(seconds=15))

    assert first.ok and first.message == "baseline scrape (counters start here)"
    # engine 0: +300 stop +2 length; engine 1: +150 stop; http_requests_total is not counted
    assert second.ok and second.message == "452 requests"
    (minute,) = _server_minutes(database)
    assert minute.samples == 2
    assert minute.requests == 452
    assert minute.prompt_tokens == 60_000 + 30_000
    assert minute.generation_tokens == 6_000 + 3_000
    assert minute.running_max == 5  # summed over engines
    assert minute.waiting_max == 1
    assert minute.kv_cache_max == pytest.approx(0.6)  # the fullest engine
    with database.session() as session:
        server = session.scalars(select(InferenceServer)).one()
        bucket = session.scalars(select(UsageBucket)).one()
    assert server.model == "Qwen/Qwen2.5-Coder-32B-Instruct"
    assert (bucket.source, bucket.location, bucket.bucket_seconds) == ("coder", "local", 3600)
    assert (bucket.requests, bucket.input_tokens, bucket.output_tokens) == (452, 90_000, 9_000)
    (day,) = source_days(database, date(2026, 3, 2), date(2026, 3, 3))
    assert (day.source, day.location, day.requests) == ("coder", "local", 452)


@pytest.mark.parametrize("created", [1.79e9, None], ids=["created", "multiprocess"])
def test_a_restart_counts_the_new_value(
    database: Database, fake: LoopbackServer, tmp_path: Path, created: float | None
) -> None:
    settings = settings_for(
        tmp_path, f'[[inference_servers]]\nname = "coder"\nkind = "vllm"\nurl = "{fake.url}"\n'
    )
    restarted = None if created is None else created + 3600
    fake.script(
        "/metrics",
        Reply(body=vllm_metrics(_engines(1000, 0, 5000, created))),
        Reply(body=vllm_metrics(_engines(1100, 0, 6000, created))),
        # restarted: smaller values (and, with _created, a new creation time)
        Reply(body=vllm_metrics(_engines(40, 0, 800, restarted))),
    )
    for seconds in (0, 15, 30):
        collect_telemetry(database, settings, now=T0 + timedelta(seconds=seconds))

    (minute,) = _server_minutes(database)
    assert minute.requests == (100 + 50) + (40 + 20)
    assert minute.prompt_tokens == (1000 + 500) + (800 + 400)


def test_a_server_down_for_a_scrape(
    database: Database, fake: LoopbackServer, other: LoopbackServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path,
        f'[[inference_servers]]\nname = "coder"\nkind = "vllm"\nurl = "{fake.url}"\n'
        f'[[inference_servers]]\nname = "laptop"\nkind = "llamacpp"\nurl = "{other.url}"\n',
    )
    fake.script(
        "/metrics",
        Reply(body=vllm_metrics(_engines(100, 0, 1000))),
        Reply(status=503, body="Service Unavailable"),
        Reply(drop=True),
        Reply(body=vllm_metrics(_engines(130, 0, 1300))),
    )
    other.script("/metrics", Reply(body=llamacpp_metrics(100, 10, 1, 0)))

    results = [
        collect_telemetry(database, settings, now=T0 + timedelta(minutes=m)) for m in range(4)
    ]

    assert [r[0].ok for r in results] == [True, False, False, True]
    assert results[1][0].message.endswith("answered HTTP 503")
    assert "cannot reach" in results[2][0].message
    assert all(r[1].ok for r in results)  # the other server was never held up
    state = source_state(database, "coder")
    assert state is not None and state.consecutive_failures == 0
    minutes = _server_minutes(database)
    vllm_rows = [m for m in minutes if m.requests is not None]
    # the increase over the gap is counted once, when the server is back
    assert [m.requests for m in vllm_rows] == [45]


def test_llamacpp_reports_tokens_without_requests(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path,
        f'[[inference_servers]]\nname = "laptop"\nkind = "llamacpp"\nurl = "{fake.url}"\n'
        'model = "qwen2.5-coder-7b-q4"\n',
    )
    start = {"Process-Start-Time-Unix": "1790000000"}
    fake.script(
        "/metrics",
        Reply(body=llamacpp_metrics(1.23456e6, 98765, 2, 1), headers=start),
        Reply(body=llamacpp_metrics(1.23556e6, 98865, 1, 0), headers=start),
        # restarted: the start time moved, the counters began again
        Reply(
            body=llamacpp_metrics(500, 50, 0, 0), headers={"Process-Start-Time-Unix": "1790009000"}
        ),
    )
    for seconds in (0, 15, 30):
        (result,) = collect_telemetry(database, settings, now=T0 + timedelta(seconds=seconds))
        assert result.ok

    (minute,) = _server_minutes(database)
    assert minute.requests is None  # never 0: llama.cpp has no request counter
    assert minute.prompt_tokens == 1000 + 500
    assert minute.generation_tokens == 100 + 50
    assert minute.running_max == 2 and minute.waiting_max == 1
    (day,) = source_days(database, date(2026, 3, 2), date(2026, 3, 3))
    assert day.requests is None
    assert day.tokens_without_requests == 1500 + 150


def test_ollama_loaded_models(database: Database, fake: LoopbackServer, tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, f'[[inference_servers]]\nname = "ollama"\nkind = "ollama"\nurl = "{fake.url}"\n'
    )
    gib = 1024**3
    fake.script(
        "/api/ps",
        json_reply(
            ollama_ps(("qwen2.5-coder:7b", 6 * gib, 6 * gib), ("llama3:70b", 40 * gib, 24 * gib))
        ),
    )

    (result,) = collect_telemetry(database, settings, now=T0)

    assert result.ok
    assert result.message == "2 models loaded, 16.0 GiB of them in system RAM"
    (minute,) = _server_minutes(database)
    assert minute.requests is None and minute.prompt_tokens is None
    with database.session() as session:
        assert (
            session.scalars(select(InferenceServer.model)).one() == "llama3:70b, qwen2.5-coder:7b"
        )


def test_ollama_with_nothing_loaded(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path, f'[[inference_servers]]\nname = "ollama"\nkind = "ollama"\nurl = "{fake.url}"\n'
    )
    fake.script("/api/ps", json_reply({"models": []}))
    (result,) = collect_telemetry(database, settings, now=T0)
    assert result.ok and result.message == "0 models loaded"


@pytest.mark.parametrize("host_label", ["Hostname", "hostname"])
def test_dcgm_exporter_scraped_directly(
    database: Database, fake: LoopbackServer, tmp_path: Path, host_label: str
) -> None:
    settings = settings_for(
        tmp_path, f'[[gpu_agents]]\nname = "node1"\nurl = "{fake.url}/metrics"\n'
    )
    gpus = [DcgmGpu(0, "GPU-aaa", util=97, fb_used=76000, fb_free=4000), DcgmGpu(1, "GPU-bbb")]
    later = [
        DcgmGpu(0, "GPU-aaa", util=97, fb_used=76000, fb_free=4000, energy_mj=4.821033e10 + 6e6),
        DcgmGpu(1, "GPU-bbb", energy_mj=4.821033e10 + 3e6),
    ]
    fake.script(
        "/metrics",
        Reply(body=dcgm_metrics(gpus, host_label=host_label, shuffle_seed=1)),
        Reply(body=dcgm_metrics(later, host_label=host_label, shuffle_seed=7)),
    )

    collect_telemetry(database, settings, now=T0)
    (result,) = collect_telemetry(database, settings, now=T0 + timedelta(seconds=15))

    assert result.ok and result.message == "2 GPUs"
    with database.session() as session:
        inventory = session.scalars(select(Gpu).order_by(Gpu.gpu_index)).all()
        minutes = session.scalars(select(GpuMinute).order_by(GpuMinute.gpu_id)).all()
    assert [(g.host, g.uuid, g.name) for g in inventory] == [
        ("node1", "GPU-aaa", "NVIDIA H100 80GB HBM3"),
        ("node1", "GPU-bbb", "NVIDIA H100 80GB HBM3"),
    ]
    assert inventory[0].memory_total_mib == 76000 + 4000 + 559
    hot, calm = minutes
    assert hot.samples == 2
    assert hot.energy_j == pytest.approx(6000)  # mJ counter increase → J
    assert calm.energy_j == pytest.approx(3000)
    assert hot.saturated_s == 30.0  # two 15 s samples at ≥90 % util and memory
    assert calm.saturated_s == 0.0
    assert hot.power_mean_w == pytest.approx(350.5)


def test_a_slow_server_does_not_hold_up_the_others(
    database: Database, fake: LoopbackServer, other: LoopbackServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path,
        "[telemetry]\ntimeout_seconds = 0.3\n"
        f'[[inference_servers]]\nname = "slow"\nkind = "vllm"\nurl = "{fake.url}"\n'
        f'[[inference_servers]]\nname = "fast"\nkind = "llamacpp"\nurl = "{other.url}"\n',
    )

    def slow(_request: Request) -> Reply:
        time.sleep(1.0)
        return Reply(body=vllm_metrics(_engines(1, 0, 1)))

    fake.script("/metrics", slow)
    other.script("/metrics", Reply(body=llamacpp_metrics(10, 1, 0, 0)))

    slow_result, fast_result = collect_telemetry(database, settings, now=T0)

    assert (slow_result.ok, slow_result.message) == (
        False,
        f"{fake.url}/metrics did not answer in time",
    )
    assert fast_result.ok


def test_not_prometheus_text_is_a_failure(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path, f'[[inference_servers]]\nname = "coder"\nkind = "vllm"\nurl = "{fake.url}"\n'
    )
    fake.script("/metrics", Reply(body="<html>login</html>", content_type="text/html"))
    (result,) = collect_telemetry(database, settings, now=T0)
    assert not result.ok
    assert "not Prometheus text" in result.message
    state = source_state(database, "coder")
    assert state is not None and state.consecutive_failures == 1


def test_named_sources_only(database: Database, fake: LoopbackServer, tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        f'[[inference_servers]]\nname = "a"\nkind = "llamacpp"\nurl = "{fake.url}"\n'
        f'[[inference_servers]]\nname = "b"\nkind = "llamacpp"\nurl = "{fake.url}"\n',
    )
    fake.script("/metrics", Reply(body=llamacpp_metrics(1, 1, 0, 0)))
    assert [r.source for r in collect_telemetry(database, settings, names=["b"], now=T0)] == ["b"]


def test_local_requests_in_the_volume_report(
    database: Database, database_url: str, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path, f'[[inference_servers]]\nname = "coder"\nkind = "vllm"\nurl = "{fake.url}"\n'
    )
    fake.script(
        "/metrics",
        Reply(body=vllm_metrics(_engines(1000, 0, 5000))),
        Reply(body=vllm_metrics(_engines(1400, 0, 9000))),
    )
    collect_telemetry(database, settings, now=T0)
    collect_telemetry(database, settings, now=T0 + timedelta(minutes=1))

    result = CliRunner(env={"GOLOCAL_DATABASE_URL": database_url}).invoke(
        cli, ["report", "volume", "--since", "2026-03-02", "--until", "2026-03-03", "--json"]
    )

    assert result.exit_code == 0, result.output
    (day,) = json.loads(result.output)["days"]
    assert day["local_requests"] == 600
    assert day["by_source"]["coder"]["location"] == "local"
    assert day["by_source"]["coder"]["requests"] == 600


def test_credentials_in_a_url_are_never_shown(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    port = fake.url.rsplit(":", 1)[1]
    settings = settings_for(
        tmp_path,
        '[[inference_servers]]\nname = "coder"\nkind = "vllm"\n'
        f'url = "http://scraper:s3cret-pass@127.0.0.1:{port}"\n',
    )
    fake.script("/metrics", Reply(status=401, body="unauthorized"))
    (result,) = collect_telemetry(database, settings, now=T0)
    assert result.message == f"http://127.0.0.1:{port}/metrics answered HTTP 401"
    state = source_state(database, "coder")
    assert state is not None and "s3cret" not in (state.last_error or "")
    with database.session() as session:
        assert session.scalars(select(InferenceServer)).first() is None  # never answered


def test_a_stored_server_url_has_no_credentials(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    port = fake.url.rsplit(":", 1)[1]
    settings = settings_for(
        tmp_path,
        '[[inference_servers]]\nname = "laptop"\nkind = "llamacpp"\n'
        f'url = "http://scraper:s3cret-pass@127.0.0.1:{port}"\n',
    )
    fake.script("/metrics", Reply(body=llamacpp_metrics(1, 1, 0, 0)))
    (result,) = collect_telemetry(database, settings, now=T0)
    assert result.ok
    with database.session() as session:
        assert session.scalars(select(InferenceServer.url)).one() == f"http://127.0.0.1:{port}"
