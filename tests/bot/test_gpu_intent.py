"""The GPU intent answers from the stored telemetry, and says so when there is none."""

from __future__ import annotations

from datetime import UTC, datetime

from golocal.bot.chat import answer
from golocal.bot.services import Services
from golocal.config.settings import load_settings
from golocal.jobs.demo import DemoOptions, generate_demo

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def services(database):
    return Services(load_settings(), database, clock=lambda: NOW)


def test_gpus_without_telemetry_say_how_to_get_it(database):
    reply = answer("how are our GPUs doing?", services(database))
    assert reply.intent == "gpus"
    assert "No local GPU telemetry" in reply.text
    assert reply.data["gpus"] == []


def test_gpus_summarise_utilisation_and_the_saturation_episode(database):
    generate_demo(database, DemoOptions(days=8, profile="team", minute_days=8), now=NOW)
    reply = answer("are the GPUs saturated?", services(database))
    assert reply.intent == "gpus"
    assert "4 GPU(s) on 1 host(s), 4 reporting" in reply.text
    # the demo's 90-minute episode hits every GPU of the first host, three days ago
    assert "Saturated: 360 GPU-minutes" in reply.text
    assert len(reply.data["gpus"]) == 4
    # the last line says how to see the detail behind the figures
    assert reply.text.splitlines()[-1] == (
        "Per GPU and minute: `golocal report gpus --by minute --host HOST` (or `--by hour`)."
    )
