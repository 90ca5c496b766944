"""What a local request and token mean, per server: outcomes, gaps, bounds, ranks, cache."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from golocal.db.database import Database
from golocal.db.models import ServerMinute, UsageBucket
from golocal.jobs.telemetry import collect_telemetry
from tests.cli_runner import run_golocal
from tests.fakes.inference_servers import (
    VllmEngine,
    llamacpp_metrics,
    sglang_metrics,
    tgi_metrics,
    vllm_metrics,
)
from tests.fakes.server import LoopbackServer, Reply
from tests.jobs.telemetry_fixtures import T0, fake, settings_for

__all__ = ["fake"]  # fixtures


def _settings(tmp_path: Path, url: str, kind: str):
    return settings_for(
        tmp_path, f'[[inference_servers]]\nname = "box"\nkind = "{kind}"\nurl = "{url}"\n'
    )


def _scrape_all(database, settings, bodies, fake, *, step_s=15):
    fake.script("/metrics", *(Reply(body=body) for body in bodies))
    return [
        collect_telemetry(database, settings, now=T0 + timedelta(seconds=step_s * n))[0]
        for n in range(len(bodies))
    ]


def _minute(database: Database) -> ServerMinute:
    with database.session() as session:
        return session.scalars(select(ServerMinute)).one()


def _engine(**success: float) -> list[VllmEngine]:
    return [VllmEngine(engine=0, success=dict(success), prompt_tokens=1000.0)]


def test_vllm_aborted_requests_count_and_errors_are_failures_apart(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, fake.url, "vllm")
    before = {"stop": 100, "length": 10, "repetition": 1, "abort": 20, "error": 3}
    after = {"stop": 160, "length": 12, "repetition": 2, "abort": 50, "error": 8}
    results = _scrape_all(
        database, settings, [vllm_metrics(_engine(**before)), vllm_metrics(_engine(**after))], fake
    )
    # 60 stop + 2 length + 1 repetition + 30 abort; 5 errors are failures, not requests
    assert results[1].message == "93 requests (30 aborted, 5 failed)"
    minute = _minute(database)
    assert (minute.requests, minute.aborted_requests, minute.failed_requests) == (93, 30, 5)
    with database.session() as session:
        bucket = session.scalars(select(UsageBucket)).one()
    assert bucket.requests == 93


def test_a_series_missing_for_one_scrape_is_not_a_reset(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, fake.url, "vllm")
    bodies = []
    for stop in (100, 150, None, 200, 250):
        engines = [VllmEngine(engine=0, success={"length": 0.0})]
        if stop is not None:
            engines.append(VllmEngine(engine=1, success={"stop": float(stop)}, created=None))
        bodies.append(vllm_metrics(engines))
    _scrape_all(database, settings, bodies, fake, step_s=10)
    assert _minute(database).requests == 150  # not 300


def test_a_negative_counter_is_rejected_with_a_logged_reason(
    database: Database, fake: LoopbackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, fake.url, "llamacpp")
    caplog.set_level(logging.WARNING)
    bodies = [
        llamacpp_metrics(1000, 100, 1, 0),
        llamacpp_metrics(-9_970_400, 150, 1, 0),
        llamacpp_metrics(1500, 200, 1, 0),
    ]
    results = _scrape_all(database, settings, bodies, fake)
    assert "not stored: prompt_tokens:" in results[1].message
    assert "is negative" in caplog.text and "counter not stored" in caplog.text
    minute = _minute(database)
    assert minute.prompt_tokens == 500  # 1000 → 1500; the nonsense scrape added nothing
    assert minute.generation_tokens == 100


def test_an_absurd_increase_is_rejected_not_stored(
    database: Database, fake: LoopbackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, fake.url, "vllm")
    caplog.set_level(logging.WARNING)
    bodies = [vllm_metrics(_engine(stop=100)), vllm_metrics(_engine(stop=100 + 10**9))]
    results = _scrape_all(database, settings, bodies, fake)
    assert "requests: an increase of 1,000,000,000 in 15 s" in results[1].message
    assert "counter not stored" in caplog.text
    assert _minute(database).requests is None


def test_llamacpp_input_tokens_include_cached_prompt_tokens(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, fake.url, "llamacpp")
    bodies = [
        llamacpp_metrics(1000, 100, 1, 0, cached=5000),
        llamacpp_metrics(1400, 150, 1, 0, cached=8000),
    ]
    _scrape_all(database, settings, bodies, fake)
    assert _minute(database).prompt_tokens == 400 + 3000


def test_sglang_tensor_parallel_gauges_are_one_value_not_a_sum(
    database: Database,
    database_url: str,
    fake: LoopbackServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(tmp_path, fake.url, "sglang")
    bodies = [
        sglang_metrics(1000, 10**6, 10**5, 6, 2, tp=4),
        sglang_metrics(1100, 2 * 10**6, 2 * 10**5, 6, 2, tp=4),
    ]
    _scrape_all(database, settings, bodies, fake)
    minute = _minute(database)
    assert (minute.running_max, minute.waiting_max) == (6, 2)  # not 24 and 8
    assert minute.requests == 100
    assert minute.prompt_tokens == 10**6
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    report = run_golocal(
        capsys, "report", "volume", "--since", "2026-03-02", "--until", "2026-03-03", "--json"
    )
    assert report.exit_code == 0, report.stderr
    (day,) = json.loads(report.stdout)["days"]
    assert (day["local_requests"], day["input_tokens"]) == (100, 10**6)


def test_tgi_successes_are_requests_and_failures_apart(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, fake.url, "tgi")
    bodies = [
        tgi_metrics(100, {"validation": 2, "overloaded": 1}, 50_000, 5_000, 0),
        tgi_metrics(130, {"validation": 4, "overloaded": 1}, 65_000, 6_000, 3),
    ]
    results = _scrape_all(database, settings, bodies, fake)
    assert results[1].message == "30 requests (2 failed)"
    minute = _minute(database)
    assert (minute.requests, minute.failed_requests) == (30, 2)
    assert (minute.prompt_tokens, minute.generation_tokens) == (15_000, 1_000)
    assert minute.waiting_max == 3
