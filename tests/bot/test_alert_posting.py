"""Alert notifications through the Slack Web API fake: one post, thread replies, pacing."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from golocal.bot.posting import ChannelPacer, ConsolePoster, SlackPoster
from golocal.bot.publish import run_alerts, run_due_digest
from golocal.bot.services import Services
from golocal.config.settings import load_settings
from golocal.db.database import Database
from golocal.db.sources import record_failure, record_success
from tests.fakes.slack_web import FakeSlackWeb

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def slack(fake_slack_web: FakeSlackWeb) -> FakeSlackWeb:
    """The fake Slack Web API the posters talk to."""
    return fake_slack_web


def test_incident_posted_once_updated_and_resolved_in_its_thread(
    database: Database, slack: FakeSlackWeb
) -> None:
    base = load_settings(None)
    settings = base.model_copy(
        update={"alerts": base.alerts.model_copy(update={"channel": "C-ALERTS"})}
    )
    poster = SlackPoster("xoxb-test", slack.api_url, backoff_factor=0, pacer=ChannelPacer(1e3))

    def tick(at: datetime) -> None:
        run_alerts(Services(settings, database, clock=lambda: at), poster)

    for _ in range(3):
        record_failure(database, "openai", "HTTP 401: invalid admin key", at=START)
    for minute in range(0, 10):
        tick(START + timedelta(minutes=minute))
    messages = slack.messages()
    assert len(messages) == 1
    assert messages[0]["channel"] == "C-ALERTS" and "HTTP 401" in messages[0]["text"]
    parent = slack.succeeded("chat.postMessage")[0].response["ts"]
    # the reason changes: one thread update after the rate limit, not one per minute
    for _ in range(2):
        record_failure(database, "openai", "HTTP 500 from the usage API", at=START)
    for minute in range(10, 40):
        tick(START + timedelta(minutes=minute))
    messages = slack.messages()
    assert len(messages) == 2
    assert messages[1]["thread_ts"] == parent and "HTTP 500" in messages[1]["text"]
    assert [u.args["ts"] for u in slack.succeeded("chat.update")] == [parent]
    # the source recovers: a resolution in the thread and the parent marked resolved
    record_success(database, "openai", at=START + timedelta(minutes=40))
    tick(START + timedelta(minutes=41))
    tick(START + timedelta(minutes=42))
    messages = slack.messages()
    assert len(messages) == 3
    assert messages[2]["thread_ts"] == parent and messages[2]["text"].startswith("Resolved")
    assert "resolved after" in str(slack.succeeded("chat.update")[-1].args["blocks"])


def test_pacer_keeps_one_message_per_second_per_channel() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    pacer.wait("C1")
    pacer.wait("C2")  # another channel does not wait
    now[0] += 0.25
    pacer.wait("C1")
    assert slept == [pytest.approx(0.75)]


def test_console_mode_prints_the_due_digest_once(database: Database) -> None:
    settings = load_settings(None)
    stream = io.StringIO()
    poster = ConsolePoster(stream)
    monday = datetime(2026, 3, 9, 9, 5, tzinfo=UTC)
    for minutes in (0, 15):
        at = monday + timedelta(minutes=minutes)
        run_due_digest(Services(settings, database, clock=lambda at=at: at), poster)
    printed = stream.getvalue()
    assert printed.count("golocal weekly digest — 2026-W10") == 1
    assert "golocal-digest-2026-W10.png" in printed  # the chart is named, not dumped
