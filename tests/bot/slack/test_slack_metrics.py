"""golocal's own Slack figures: ack latency, answers posted, answers that failed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from golocal.bot.services import Services
from golocal.bot.slack.app import create_app
from golocal.bot.slack.http import GolocalRequestHandler
from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.jobs.selfmetrics import REGISTRY
from tests.bot.slack.conftest import (
    NOW,
    SIGNING_SECRET,
    RunningHttpApp,
    serve_in_thread,
    slash_command,
)
from tests.fakes.slack_web import FakeSlackWeb
from tests.ops.processes import wait_for


def _value(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


@pytest.fixture
def sqlite_app(
    slack_settings: Settings, sqlite_database: Database, fake_slack_web: FakeSlackWeb
) -> Iterator[RunningHttpApp]:
    services = Services(settings=slack_settings, database=sqlite_database, clock=lambda: NOW)
    app = create_app(slack_settings, services, http_mode=True)
    for url in serve_in_thread(GolocalRequestHandler(app, SIGNING_SECRET)):
        with httpx.Client(timeout=10) as client:
            yield RunningHttpApp(url, client)


def test_a_slash_command_counts_its_ack_and_its_answer(
    sqlite_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    acks = _value("golocal_slack_ack_duration_seconds_count")
    answers = _value("golocal_slack_posts_total", {"kind": "answer", "outcome": "ok"})
    failed = _value("golocal_slack_answers_failed_total")

    form = slash_command(fake_slack_web.response_url("cmd"), "how many requests per day?")
    assert sqlite_app.post_form(form).status_code == 200
    fake_slack_web.wait_for("response_url")

    assert _value("golocal_slack_ack_duration_seconds_count") == acks + 1
    # the answer is posted after the ack; the count follows the post's return
    wait_for(
        lambda: _value("golocal_slack_posts_total", {"kind": "answer", "outcome": "ok"}) > answers,
        timeout=10,
        what="the answer counted",
    )
    assert _value("golocal_slack_posts_total", {"kind": "answer", "outcome": "ok"}) == answers + 1
    assert _value("golocal_slack_answers_failed_total") == failed


def test_an_answer_that_fails_unexpectedly_is_counted(
    sqlite_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, sqlite_database: Database
) -> None:
    with sqlite_database.engine.begin() as connection:
        connection.execute(text("DROP TABLE usage_buckets"))  # a broken database, for real
    failed = _value("golocal_slack_answers_failed_total")

    form = slash_command(fake_slack_web.response_url("cmd"), "how many requests per day?")
    assert sqlite_app.post_form(form).status_code == 200
    [call] = fake_slack_web.wait_for("response_url")

    assert "Something went wrong" in call.args["text"]
    assert _value("golocal_slack_answers_failed_total") == failed + 1
