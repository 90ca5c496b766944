"""The volume metric is the chat's figure: same window, same numbers; no data, no sample."""

from __future__ import annotations

import io

from golocal.bot.chat import answer
from golocal.bot.posting import ConsolePoster
from golocal.bot.publish import run_alerts
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.jobs.demo import DemoOptions, generate_demo
from golocal.jobs.selfmetrics import REGISTRY


def _volume(location: str) -> float | None:
    return REGISTRY.get_sample_value("golocal_volume_requests_per_day", {"location": location})


def test_the_volume_metric_and_the_chat_give_the_same_figures(database: Database) -> None:
    services = Services(Settings(), database)
    run_alerts(services, ConsolePoster(io.StringIO()))
    assert _volume("cloud") is None and _volume("local") is None  # unknown is not zero

    generate_demo(database, DemoOptions(days=10, profile="small"), progress=None)
    run_alerts(services, ConsolePoster(io.StringIO()))

    days = answer("how many requests per day?", services).data["days"]
    assert _volume("cloud") == sum(day["cloud_requests"] for day in days) / len(days)
    assert _volume("local") == sum(day["local_requests"] for day in days) / len(days)
    assert _volume("cloud") > 0
    line = {"threshold": "run_cost_model_above"}
    assert REGISTRY.get_sample_value("golocal_volume_threshold_requests_per_day", line) == 2000
