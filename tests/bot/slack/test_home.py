"""The App Home dashboard: every part, within Slack's limits, one failure never blanking it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from golocal.bot.chat import intent
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.bot.slack import home
from golocal.db.models import AlertIncident
from golocal.db.sources import record_failure, record_success
from golocal.jobs.demo import DemoOptions, generate_demo
from tests.fakes.slack_web import MAX_VIEW_BLOCKS, block_problems


@intent("advisor", [r"go local"], "should we go local?", "the verdict")
def fake_advisor(question: str, services: Services) -> Reply:
    return Reply(
        "advisor",
        "Verdict: hybrid — keep bursts in the cloud.",
        {"verdict": "hybrid", "zone": "between", "checklist": []},
    )


def _text(services: Services) -> str:
    blocks = home.home_view(services)["blocks"]
    assert block_problems(blocks, MAX_VIEW_BLOCKS) == []
    return json.dumps(blocks)


def test_dashboard_with_data(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(home, "registered_intents", lambda: [fake_advisor])
    generate_demo(
        services.database, DemoOptions(days=20, profile="small", minute_days=2), now=services.now()
    )
    now = services.now()
    record_success(services.database, "openai", kind="cloud", at=now)
    record_failure(
        services.database, "anthropic", "401: the admin key was rejected", kind="cloud", at=now
    )
    with services.database.session() as session:
        for number in range(60):
            session.add(
                AlertIncident(
                    rule="gpu_saturation",
                    key=f"gpu{number}",
                    open_key=f"gpu{number}",
                    state="firing",
                    severity="warning",
                    summary=f"GPU {number} saturated",
                    first_seen=now - timedelta(minutes=number),
                    last_seen=now,
                )
            )
    text = _text(services)
    assert "Verdict: hybrid" in text and "*Zone*\\nbetween" in text
    assert "Requests/day, last 7 days" in text and "*Cloud*" in text
    assert "Spend this month" in text and "no monthly budget set" in text
    assert "GPU utilisation (24 h)" in text and "*GPUs*\\n1" in text
    assert "GPU 0 saturated" in text and "and 51 more" in text  # 60 firing, 9 shown
    assert "the admin key was rejected" in text and "last success" in text


def test_spend_against_the_budget(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from golocal.config.settings import load_settings

    generate_demo(
        services.database, DemoOptions(days=20, profile="small", minute_days=1), now=services.now()
    )
    monkeypatch.setenv("GOLOCAL_BUDGET__MONTHLY_USD", "1")
    tight = Services(load_settings(), services.database, clock=services.clock)
    assert "budget" in _text(tight) and "over budget" in _text(tight)


def test_empty_dashboard_says_what_is_missing(services: Services) -> None:
    text = _text(services)
    assert "No usage data yet" in text
    assert "No local GPU telemetry" in text
    assert "Open alerts*\\nNone" in text
    assert "No source has reported yet" in text


def test_a_failing_part_does_not_blank_the_rest(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database went away")

    monkeypatch.setattr(home, "gpu_utilisation", broken)
    text = _text(services)
    assert "Something went wrong, logged as" in text
    assert "Open alerts" in text and "Re-run the checklist" in text
