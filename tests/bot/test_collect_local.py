"""``golocal collect`` and ``golocal sources`` cover the local inference servers too."""

from __future__ import annotations

import json

from tests.cli_runner import run_golocal
from tests.fakes.inference_servers import VllmEngine, vllm_metrics
from tests.fakes.server import LoopbackServer, Reply
from tests.jobs.telemetry_fixtures import fake

__all__ = ["fake"]


def _metrics(success: float) -> Reply:
    engine = VllmEngine(
        engine=0,
        success={"stop": success},
        prompt_tokens=success * 1000,
        generation_tokens=success * 100,
        running=1,
        waiting=0,
        kv_cache=0.2,
        created=1.79e9,
    )
    return Reply(body=vllm_metrics([engine]), content_type="text/plain; version=0.0.4")


def test_collect_names_a_local_server_and_sources_lists_it(
    fake: LoopbackServer, tmp_path, capsys, monkeypatch
):
    config = tmp_path / "golocal.toml"
    config.write_text(f'[[inference_servers]]\nname = "coder"\nkind = "vllm"\nurl = "{fake.url}"\n')
    monkeypatch.setenv("GOLOCAL_CONFIG", str(config))
    fake.script("/metrics", _metrics(100), _metrics(160))

    first = run_golocal(capsys, "collect", "coder", "--json")
    assert first.exit_code == 0, first.stderr
    [result] = json.loads(first.stdout)["sources"]
    assert (result["source"], result["ok"]) == ("coder", True)
    second = run_golocal(capsys, "collect", "coder")
    assert second.exit_code == 0, second.stderr
    assert second.stdout.startswith("coder: ok")

    listed = json.loads(run_golocal(capsys, "sources", "--json").stdout)["sources"]
    coder = next(row for row in listed if row["source"] == "coder")
    assert (coder["kind"], coder["configured"], coder["consecutive_failures"]) == (
        "vllm",
        True,
        0,
    )
    assert coder["last_success_at"] is not None
    assert any(row["source"] == "openai" and not row["configured"] for row in listed)

    volume = json.loads(run_golocal(capsys, "report", "volume", "--json").stdout)
    local = sum(day["local_requests"] for day in volume["days"])
    assert local == 60  # the first scrape is the baseline; the second counts the increase


def test_collect_refuses_an_unknown_source(capsys):
    result = run_golocal(capsys, "collect", "nosuch")
    assert result.exit_code == 2
    assert "unknown source 'nosuch'" in result.stderr
