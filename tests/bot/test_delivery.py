"""Delivery you can trust: transient errors retried, permanent ones fixed by config, each post once.

Everything goes through the loopback fake Slack Web API, which fails the way Slack documents
(``{"ok": false, "error": ...}``, 429, 5xx) and can accept a post and then answer 500.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from golocal.bot.alert_notify import NOTIFY_LEASE, deliver_alerts
from golocal.bot.posting import ChannelPacer, Message, SlackPoster
from golocal.bot.publish import publish_digest
from golocal.bot.services import Services
from golocal.bot.slack.home import home_view
from golocal.config.settings import Settings, load_settings
from golocal.db import alerts as incidents_db
from golocal.db.database import Database
from golocal.db.deliveries import blocked_channels
from golocal.db.digests import DigestPostError, digest_post_state
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.digest import build_digest
from tests.cli_runner import run_golocal
from tests.fakes.slack_web import FakeSlackWeb

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
WEEK = "2026-W10"
DIGEST = "C0DIGEST"
ALERTS = "C0ALERTS"


class Crash(BaseException):
    """The process dies here (nothing after it runs, no ``except Exception`` sees it)."""


class CrashingPoster(SlackPoster):
    """A poster whose process dies right after Slack accepted the post (or right before)."""

    def __init__(self, slack: FakeSlackWeb, *, before: bool = False) -> None:
        super().__init__("xoxb-test", slack.api_url, backoff_factor=0, pacer=ChannelPacer(1e3))
        self.before = before

    def post(self, message: Message) -> str | None:
        if self.before:
            raise Crash
        super().post(message)
        raise Crash


def _poster(slack: FakeSlackWeb, token: str = "xoxb-test") -> SlackPoster:  # noqa: S107
    return SlackPoster(token, slack.api_url, backoff_factor=0, pacer=ChannelPacer(1e3))


@pytest.fixture
def settings(fake_slack_web: FakeSlackWeb) -> Settings:
    base = load_settings(None)
    return base.model_copy(update={"alerts": base.alerts.model_copy(update={"channel": ALERTS})})


def _seed(database: Database) -> None:
    rows = [
        {
            "source": "openai",
            "bucket_start": datetime(2026, 3, day, tzinfo=UTC),
            "bucket_seconds": 86400,
            "location": "cloud",
            "provider": "openai",
            "model": "gpt-4.1",
            "requests": 800,
            "cost_usd": Decimal("3.25"),
        }
        for day in range(2, 9)
    ]
    upsert_usage_buckets(database, rows)


def _publish(database: Database, settings: Settings, poster: SlackPoster) -> object:
    services = Services(settings, database, clock=lambda: NOW)
    digest = build_digest(database, settings, WEEK, now=NOW)
    return publish_digest(services, poster, digest, DIGEST, chart=b"\x89PNG\r\n\x1a\nfake")


def test_digest_accepted_then_500_is_posted_once(
    database: Database, settings: Settings, fake_slack_web: FakeSlackWeb
) -> None:
    _seed(database)
    fake_slack_web.fail_after_accept("chat.postMessage")
    outcome = _publish(database, settings, _poster(fake_slack_web))
    assert outcome.status == "posted"
    [posted] = fake_slack_web.posts_in(DIGEST, f"digest:{WEEK}")
    assert len(fake_slack_web.posts_in(DIGEST)) == 1
    state = digest_post_state(database, WEEK, DIGEST)
    assert state is not None and state.message_ts == posted["ts"]


def test_digest_timeout_after_accept_is_posted_once(
    database: Database, settings: Settings, fake_slack_web: FakeSlackWeb
) -> None:
    _seed(database)
    fake_slack_web.hold_after_accept("chat.postMessage")
    threading.Timer(4, fake_slack_web.release.set).start()  # Slack answers, too late
    poster = SlackPoster(
        "xoxb-test", fake_slack_web.api_url, backoff_factor=0, pacer=ChannelPacer(1e3), timeout=1
    )
    assert _publish(database, settings, poster).status == "posted"
    assert len(fake_slack_web.posts_in(DIGEST)) == 1


def test_digest_crash_between_post_and_record_is_posted_once(
    database: Database, settings: Settings, fake_slack_web: FakeSlackWeb
) -> None:
    _seed(database)
    with pytest.raises(Crash):
        _publish(database, settings, CrashingPoster(fake_slack_web))
    state = digest_post_state(database, WEEK, DIGEST)
    assert state is None or state.state != "posted"  # the record never happened
    outcome = _publish(database, settings, _poster(fake_slack_web))
    assert outcome.status == "posted"
    [posted] = fake_slack_web.posts_in(DIGEST)
    assert digest_post_state(database, WEEK, DIGEST).message_ts == posted["ts"]


def test_digest_process_killed_between_post_and_record_posts_once(
    database_url: str, database: Database, fake_slack_web: FakeSlackWeb
) -> None:
    _seed(database)
    env = {
        **os.environ,
        "GOLOCAL_DATABASE_URL": database_url,
        "GOLOCAL_SLACK_API_URL": fake_slack_web.api_url,
        "GOLOCAL_DIGEST_CHANNEL": DIGEST,
        "SLACK_BOT_TOKEN": "xoxb-test",
    }
    command = [sys.executable, "-m", "golocal", "digest", "--week", WEEK, "--post"]
    fake_slack_web.hold_after_accept("chat.postMessage")
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert fake_slack_web.held.wait(60), "the digest was never posted"
        first.kill()  # Slack has the message; golocal never heard back nor recorded it
        first.wait(10)
    finally:
        fake_slack_web.release.set()
    [posted] = fake_slack_web.posts_in(DIGEST)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "posted the digest for 2026-W10" in second.stderr
    assert fake_slack_web.posts_in(DIGEST) == [posted]
    state = digest_post_state(database, WEEK, DIGEST)
    assert state is not None and state.state == "posted" and state.message_ts == posted["ts"]


def test_digest_fallback_text_stays_under_4000_characters(
    fake_slack_web: FakeSlackWeb,
) -> None:
    _poster(fake_slack_web).post(Message(DIGEST, "line of a huge digest\n" * 4000))
    [sent] = fake_slack_web.messages()
    assert len(sent["text"]) < 4000


def _fire(database: Database, minutes_ago: int = 5) -> incidents_db.Incident:
    return incidents_db.fire(
        database,
        rule="source_failing",
        key="openai",
        severity="warning",
        summary="openai failing: HTTP 401",
        details={},
        now=NOW - timedelta(minutes=minutes_ago),
    )


def _deliver(database: Database, settings: Settings, poster: SlackPoster, at: datetime):
    return deliver_alerts(Services(settings, database, clock=lambda: at), poster, ALERTS)


@pytest.mark.parametrize("before", [False, True], ids=["after-post", "before-post"])
def test_alert_lease_expires_and_the_opening_message_is_sent_once(
    database: Database, settings: Settings, fake_slack_web: FakeSlackWeb, before: bool
) -> None:
    _fire(database)
    with pytest.raises(Crash):
        _deliver(database, settings, CrashingPoster(fake_slack_web, before=before), NOW)
    # while the lease holds nobody sends it (the dead sender might still be posting)
    assert (
        _deliver(database, settings, _poster(fake_slack_web), NOW + timedelta(minutes=1)).sent == []
    )
    later = NOW + NOTIFY_LEASE + timedelta(seconds=1)
    delivery = _deliver(database, settings, _poster(fake_slack_web), later)
    assert [(s.kind, s.channel) for s in delivery.sent] == [("open", ALERTS)]
    [opening] = fake_slack_web.posts_in(ALERTS)
    [incident] = incidents_db.firing_incidents(database)
    assert incident.thread_ts == opening["ts"] and incident.notify_count == 1


def test_alert_accepted_then_500_is_posted_once(
    database: Database, settings: Settings, fake_slack_web: FakeSlackWeb
) -> None:
    _fire(database)
    fake_slack_web.fail_after_accept("chat.postMessage")
    delivery = _deliver(database, settings, _poster(fake_slack_web), NOW)
    assert [s.kind for s in delivery.sent] == ["open"]
    assert len(fake_slack_web.posts_in(ALERTS)) == 1


def test_transient_errors_are_retried_with_backoff(
    database: Database, settings: Settings, fake_slack_web: FakeSlackWeb
) -> None:
    _fire(database)
    fake_slack_web.fail_next("chat.postMessage", status=503, error="service_unavailable", times=2)
    delivery = _deliver(database, settings, _poster(fake_slack_web), NOW)
    assert [s.kind for s in delivery.sent] == ["open"] and delivery.failed == []
    assert [c.status for c in fake_slack_web.calls_to("chat.postMessage")] == [503, 503, 200]


PERMANENT = {
    "channel_not_found": ({}, "was not found"),
    "not_in_channel": ({}, "/invite @golocal"),
    "invalid_auth": ({}, "SLACK_BOT_TOKEN"),
    "missing_scope": ({"needed": "chat:write", "provided": "commands"}, "lacks the chat:write"),
}


@pytest.mark.parametrize("error", PERMANENT)
def test_permanent_errors_fail_at_once_and_wait_for_a_config_change(
    database: Database, settings: Settings, fake_slack_web: FakeSlackWeb, error: str
) -> None:
    fields, fix = PERMANENT[error]
    _fire(database)
    fake_slack_web.fail_next(
        "chat.postMessage", status=200, error=error, retry_after=None, times=5, **fields
    )
    first = _deliver(database, settings, _poster(fake_slack_web), NOW)
    [failed] = first.failed
    assert failed.permanent and fix in failed.reason
    assert len(fake_slack_web.calls_to("chat.postMessage")) == 1  # not retried
    [held] = blocked_channels(database)
    assert held.channel == ALERTS and held.error == error and fix in held.fix
    [incident] = incidents_db.firing_incidents(database)
    assert fix in incident.details["_delivery_error"]  # stored on the incident too
    # the next evaluations do not call Slack at all, and still say why
    for minute in (15, 30):
        again = _deliver(
            database, settings, _poster(fake_slack_web), NOW + timedelta(minutes=minute)
        )
        assert [f.reason for f in again.failed] == [held.fix]
    assert len(fake_slack_web.calls_to("chat.postMessage")) == 1
    # a new token is a new configuration: tried again, and it works
    fake_slack_web.clear_failures()
    fixed = settings.model_copy(update={"slack_bot_token": "xoxb-new-token"})
    delivery = _deliver(
        database, fixed, _poster(fake_slack_web, "xoxb-new"), NOW + timedelta(hours=1)
    )
    assert [s.kind for s in delivery.sent] == ["open"]
    [incident] = incidents_db.firing_incidents(database)
    assert "_delivery_error" not in incident.details


def test_permanent_digest_failure_is_stored_on_the_post(
    database: Database, settings: Settings, fake_slack_web: FakeSlackWeb
) -> None:
    _seed(database)
    fake_slack_web.fail_next("chat.postMessage", status=200, error="not_in_channel", times=5)
    with pytest.raises(DigestPostError) as raised:
        _publish(database, settings, _poster(fake_slack_web))
    assert raised.value.permanent
    state = digest_post_state(database, WEEK, DIGEST)
    assert state is not None and state.state == "failed"
    assert "/invite @golocal" in (state.last_error or "")
    with pytest.raises(DigestPostError, match="held back until the configuration changes"):
        _publish(database, settings, _poster(fake_slack_web))
    assert len(fake_slack_web.calls_to("chat.postMessage")) == 1


def test_alerts_check_exits_2_with_one_line_and_sources_shows_the_fix(
    database_url: str,
    fake_slack_web: FakeSlackWeb,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from golocal.db.sources import record_failure

    for _ in range(3):
        record_failure(database, "openai", "HTTP 401: invalid admin key", at=datetime.now(UTC))
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    monkeypatch.setenv("GOLOCAL_ALERTS_CHANNEL", ALERTS)
    monkeypatch.setenv("GOLOCAL_ALERTS__GROUP_WAIT_SECONDS", "0")
    fake_slack_web.fail_next("chat.postMessage", status=200, error="not_in_channel", times=5)
    result = run_golocal(capsys, "alerts", "check")
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    assert f"not sent to {ALERTS}: the bot is not in channel {ALERTS}" in result.stderr
    sources = run_golocal(capsys, "sources")
    assert f"slack channel {ALERTS}: NOT POSTING" in sources.stdout
    assert "/invite @golocal" in sources.stdout
    home = json.dumps(home_view(Services(load_settings(None), database)))
    assert f"Slack channel {ALERTS}: not posting (not_in_channel)" in home
    assert "/invite @golocal" in home
