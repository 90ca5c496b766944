"""``golocal fit`` and the chat's fit questions, on the one-GPU demo (1× RTX 4090)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from golocal.bot.chat import answer
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.errors import UsageError
from golocal.jobs.demo import DemoOptions, generate_demo
from tests.cli_runner import run_golocal

NOW = datetime(2026, 3, 11, 15, tzinfo=UTC)


@pytest.fixture
def services(database):
    generate_demo(database, DemoOptions(days=8, profile="small"), now=NOW)
    return Services(settings=Settings(), database=database, clock=lambda: NOW)


def test_fit_json_contract_for_named_gpus(capsys, monkeypatch, database_url):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    result = run_golocal(
        capsys,
        "fit",
        "Qwen2.5-Coder 32B",
        "--gpu",
        "RTX 4090",
        "--quant",
        "Q4_K_M",
        "--context",
        "8192",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {k: data[k] for k in ("model", "quant", "gpu", "count", "fits", "context_tokens")} == {
        "model": "qwen2.5-coder-32b",
        "quant": "Q4_K_M",
        "gpu": "rtx-4090",
        "count": 1,
        "fits": True,
        "context_tokens": 8192,
    }
    assert data["weights_gib"] == 18.7 and data["kv_gib_per_session"] == 2.0
    assert data["max_sessions"] == 1 and data["calibrated"] is False
    assert 30 < data["decode_tokens_per_s"] < 40
    assert any("huggingface.co/Qwen/Qwen2.5-Coder-32B-Instruct" in s for s in data["sources"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("qwen2.5-coder-32b", "--gpu", "rtx 4909"), "did you mean RTX 4090 24 GB"),
        (("qwen-coder-23b", "--gpu", "rtx-4090"), "did you mean Qwen2.5-Coder 32B"),
        (("qwen2.5-coder-32b", "--gpu", "h100", "--count", "0"), "at least 1"),
        (("qwen2.5-coder-32b", "--gpu", "h100", "--count", "-4"), "at least 1"),
        (("qwen2.5-coder-32b", "--gpu", "h100", "--count", "99999999"), "more than golocal"),
        (("qwen2.5-coder-32b", "--gpu", "h100", "--quant", "Q3"), "unknown quantisation"),
        (("qwen2.5-coder-32b", "--gpu", "h100", "--context", "0"), "at least 1 token"),
    ],
)
def test_fit_bad_input_exits_2_with_a_clear_line(capsys, monkeypatch, database_url, args, message):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    result = run_golocal(capsys, "fit", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_fit_without_gpus_in_telemetry_asks_for_one(capsys, monkeypatch, database_url):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    result = run_golocal(capsys, "fit", "qwen2.5-coder-7b")
    assert result.exit_code == 2 and "--gpu" in result.stderr


def test_can_we_run_on_our_gpus_uses_telemetry_and_measured_context(services):
    reply = answer("can we run Qwen2.5-Coder 32B on our GPUs?", services)
    assert reply.intent == "fit"
    assert reply.data["gpu"] == "rtx-4090" and reply.data["gpu_source"] == "your GPUs"
    assert reply.data["context_source"] == "measured"
    assert reply.data["fits"] is True
    # the demo's own vLLM server runs Qwen2.5-Coder-32B on that GPU: the rate is measured
    assert reply.data["calibrated"] is True and "demo:coder-01" in reply.data["calibration"]
    assert "your GPUs, from telemetry" in reply.text


def test_model_that_does_not_fit_says_where_it_would(services):
    reply = answer("can we run Llama 3.3 70B on our GPUs?", services)
    assert reply.data["fits"] is False
    assert "does not fit" in reply.text and "It fits on 2×" in reply.text


def test_what_fits_on_two_4090s_lists_every_catalogue_model(services):
    reply = answer("what fits on 2 RTX 4090s?", services)
    assert reply.intent == "fits_on"
    assert reply.data["gpu"] == "rtx-4090" and reply.data["count"] == 2
    assert len(reply.data["models"]) == len(services.settings.advisor.models)
    assert reply.text.startswith("On 2× RTX 4090 24 GB")
    assert "Qwen2.5-Coder 32B" in reply.text


@pytest.mark.parametrize(
    "question", ["what fits on 0 H100s?", "what fits on -2 RTX 4090s?", "what fits on 1.5 H100s?"]
)
def test_bad_counts_in_chat_are_refused_clearly(services, question):
    with pytest.raises(UsageError):
        answer(question, services)


def test_our_gpus_are_matched_like_the_verdicts_inventory():
    from golocal.bot.handlers.fit import fleet_gpu
    from golocal.db.inventory import GpuGroup

    advisor = Settings().advisor
    # a driver name the catalogue does not list verbatim still names a catalogue GPU
    groups = [GpuGroup("NVIDIA GeForce RTX 4090 D", 24564, 2, 1, None, None)]
    assert fleet_gpu(advisor, groups) == ("rtx-4090", 2)
    assert fleet_gpu(advisor, [GpuGroup("Tesla K80", 11441, 4, 1, None, None)]) is None
