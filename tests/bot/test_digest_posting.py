"""Posting the digest through the Slack Web API (a loopback fake) exactly once."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from golocal.bot.posting import ChannelPacer, SlackPoster
from golocal.bot.publish import publish_digest
from golocal.bot.services import Services
from golocal.config.settings import load_settings
from golocal.db.database import Database
from golocal.db.digests import DigestPostError, digest_post_state
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.digest import build_digest
from tests.fakes.slack_web import FakeSlackWeb

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
WEEK = "2026-W10"


@pytest.fixture
def slack(fake_slack_web: FakeSlackWeb) -> FakeSlackWeb:
    """The fake Slack Web API the posters talk to."""
    return fake_slack_web


def _poster(slack: FakeSlackWeb) -> SlackPoster:
    return SlackPoster(
        "xoxb-test",
        slack.api_url,
        backoff_factor=0.0,
        pacer=ChannelPacer(1000.0),
    )


def _seed(database: Database) -> None:
    upsert_usage_buckets(
        database,
        [
            {
                "source": "openai",
                "bucket_start": datetime(2026, 3, day, tzinfo=UTC),
                "bucket_seconds": 86400,
                "location": "cloud",
                "provider": "openai",
                "model": "gpt-4.1",
                "requests": 700 + 10 * day,
                "cost_usd": Decimal("3.25"),
            }
            for day in range(2, 9)
        ],
    )


def _publish(database: Database, slack: FakeSlackWeb) -> object:
    settings = load_settings(None)
    services = Services(settings, database, clock=lambda: NOW)
    digest = build_digest(database, settings, WEEK, now=NOW)
    return publish_digest(services, _poster(slack), digest, "C-DIGEST")


def test_digest_is_posted_with_its_chart_once(database: Database, slack: FakeSlackWeb) -> None:
    _seed(database)
    first = _publish(database, slack)
    second = _publish(database, slack)
    assert first.status == "posted" and second.status == "already_posted"
    messages = slack.messages()
    assert len(messages) == 1
    assert messages[0]["channel"] == "C-DIGEST"
    assert "2026-W10" in messages[0]["text"]
    [posted] = slack.succeeded("chat.postMessage")
    complete = [call.args for call in slack.succeeded("files.completeUploadExternal")]
    assert len(complete) == 1 and complete[0]["thread_ts"] == posted.response["ts"]
    [get_url] = slack.succeeded("files.getUploadURLExternal")
    assert get_url.args["filename"] == "golocal-digest-2026-W10.png"
    (png,) = slack.uploads.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and int(get_url.args["length"]) == len(png)
    assert complete[0]["channel_id"] == "C-DIGEST"
    assert json.loads(complete[0]["files"])[0]["id"] == get_url.response["file_id"]
    state = digest_post_state(database, WEEK, "C-DIGEST")
    assert state is not None and state.state == "posted" and state.attempts == 1


def test_a_failed_chart_upload_still_counts_the_digest_as_posted(
    database: Database, slack: FakeSlackWeb, caplog: pytest.LogCaptureFixture
) -> None:
    _seed(database)
    slack.fail_next(
        "files.getUploadURLExternal", status=200, error="not_in_channel", retry_after=None
    )
    with caplog.at_level(logging.WARNING, logger="golocal"):
        assert _publish(database, slack).status == "posted"
    assert any("chart for 2026-W10 could not be uploaded" in r.getMessage() for r in caplog.records)
    assert any("/invite @golocal" in r.getMessage() for r in caplog.records)
    # the message is out: a second run must not post it again to add the chart
    assert _publish(database, slack).status == "already_posted"
    assert len(slack.messages()) == 1


def test_a_slack_500_is_retried_and_posts_once(database: Database, slack: FakeSlackWeb) -> None:
    _seed(database)
    slack.fail_next("chat.postMessage", status=500, error="fatal_error", retry_after=None)
    outcome = _publish(database, slack)
    assert outcome.status == "posted"
    assert len(slack.calls_to("chat.postMessage")) == 2  # the 500, then the retry
    assert len(slack.messages()) == 1


def test_a_rate_limit_is_waited_out_and_posts_once(database: Database, slack: FakeSlackWeb) -> None:
    _seed(database)
    slack.fail_next("chat.postMessage", status=429, retry_after=0)
    assert _publish(database, slack).status == "posted"
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.messages()) == 1


def test_a_failed_post_is_recorded_and_retried_later(
    database: Database, slack: FakeSlackWeb
) -> None:
    _seed(database)
    # more than the client retries
    slack.fail_next("chat.postMessage", status=500, error="fatal_error", retry_after=None, times=10)
    with pytest.raises(DigestPostError):
        _publish(database, slack)
    state = digest_post_state(database, WEEK, "C-DIGEST")
    assert state is not None and state.state == "failed"
    expected = "PostError: Slack chat.postMessage: Slack answered HTTP 500 (fatal_error)"
    assert state.last_error == expected
    slack.clear_failures()
    assert _publish(database, slack).status == "posted"
    assert _publish(database, slack).status == "already_posted"
    assert len(slack.messages()) == 1
    state = digest_post_state(database, WEEK, "C-DIGEST")
    assert state is not None and state.attempts == 2


@pytest.mark.postgres
def test_two_concurrent_digest_posts_post_once(
    postgres_url: str, _migrated_postgres: Database, slack: FakeSlackWeb, tmp_path: Path
) -> None:
    from tests.conftest import _truncate_all

    _truncate_all(_migrated_postgres)
    _seed(_migrated_postgres)
    env = {
        **os.environ,
        "GOLOCAL_DATABASE_URL": postgres_url,
        "GOLOCAL_SLACK_API_URL": slack.api_url,
        "GOLOCAL_DIGEST_CHANNEL": "C-DIGEST",
        "SLACK_BOT_TOKEN": "xoxb-test",
    }
    command = [sys.executable, "-m", "golocal", "digest", "--week", WEEK, "--post"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], results
    assert len(slack.messages()) == 1
    said = sorted(err.decode().strip() for _, err in results)
    assert said == [
        "posted the digest for 2026-W10 to C-DIGEST",
        "the digest for 2026-W10 was already posted to C-DIGEST",
    ]
