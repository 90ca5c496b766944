"""The escaping border: hostile strings in any surface never become live Slack markup.

Slack parses ``<…>`` in message ``text`` and in mrkdwn as links and mentions
(https://api.slack.com/reference/surfaces/formatting#escaping). golocal emits no markup of its
own, so every mrkdwn string and message text it sends must be free of ``<``, of bare special
mentions, and of ``&`` outside the three entities.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from golocal.bot.posting import Message, SlackPoster
from golocal.bot.render.alerts import alert_status_blocks, alert_text
from golocal.bot.render.blocks import message_payload
from golocal.bot.render.digest import digest_blocks, digest_text
from golocal.bot.render.mrkdwn import escape
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.bot.slack.checklist_modal import checklist_view, read_only_view
from golocal.bot.slack.conversation import reply_to
from golocal.bot.slack.home import home_view
from golocal.config.settings import load_settings
from golocal.db import alerts as incidents_db
from golocal.db.checklist import set_answer
from golocal.db.database import Database
from golocal.db.models import AlertIncident, ChecklistAnswer, SourceStatus, UsageBucket
from golocal.db.sources import record_failure
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.digest import build_digest
from tests.fakes.slack_web import FakeSlackWeb

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PAYLOADS = [
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<!subteam^S0123ABC|@oncall>",
    "<@U0123ABCD>",
    "<#C0123ABCD|general>",
    "<https://evil.example|click here>",
    "<mailto:x@evil.example|mail>",
    "@channel",
    "@HERE",
    "&lt;!channel&gt;",
    "&",
    ">>> quoted",
]
hostile = st.builds(
    lambda before, payload, after: f"{before}{payload}{after}",
    st.text(max_size=12),
    st.sampled_from(PAYLOADS),
    st.text(max_size=12),
)
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_LIVE = re.compile(r"<|@(channel|here|everyone)\b|&(?!amp;|lt;|gt;)", re.IGNORECASE)


def _slack_strings(payload: Any, *, top: bool = True) -> list[str]:
    """Every string Slack parses for markup: mrkdwn objects and a message's ``text``."""
    found: list[str] = []
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" or (top and isinstance(payload.get("text"), str)):
            found.append(payload["text"])
        for value in payload.values():
            found += _slack_strings(value, top=False)
    elif isinstance(payload, list):
        for item in payload:
            found += _slack_strings(item, top=False)
    return found


def assert_inert(payload: Any) -> None:
    strings = _slack_strings(payload)
    assert strings, "nothing to check"
    for text in strings:
        match = _LIVE.search(text)
        assert match is None, f"live markup {match.group(0)!r} in {text!r}"


def test_escape_examples() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("@here now") == "@\u2060here now"
    assert escape("plain *bold* `code`") == "plain *bold* `code`"


def test_a_long_escaped_text_is_cut_between_entities() -> None:
    payload = message_payload(Reply("echo", "x" * 2998 + "<<<<"))
    assert_inert(payload)
    assert payload["text"].endswith("…")


@EXAMPLES
@given(name=hostile)
def test_replies(name: str) -> None:
    replies = [
        Reply("echo", f"You said {name}"),
        Reply("error", name),
        Reply("volume", f"Zone: {name}", {"zone": name, "days": [{"day": name}], "totals": {}}),
        Reply(
            "advisor",
            f"{name}\nWould change it: {name}\nData: {name}",
            {
                "verdict": name,
                "zone": name,
                "checklist": [{"title": name, "leans": name, "evidence": [name], "source": name}],
                "cost_model": {"profile": name, "local_monthly_usd": name},
            },
        ),
    ]
    for reply in replies:
        assert_inert(message_payload(reply))


@EXAMPLES
@given(question=hostile)
def test_chat_answers_echoing_the_question(question: str, sqlite_database: Database) -> None:
    services = Services(load_settings(None), sqlite_database, clock=lambda: NOW)
    assert_inert(message_payload(reply_to(f"tell everyone {question}", services)))


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=hostile)
def test_every_intent_answers_over_hostile_data(name: str, sqlite_database: Database) -> None:
    """Every registered intent's own example question, over data named with ``name``."""
    from golocal.bot.chat import registered_intents

    _clear(sqlite_database, UsageBucket, SourceStatus, AlertIncident)
    rows = [
        {
            "source": "openai",
            "bucket_start": datetime(2026, 3, day, tzinfo=UTC),
            "bucket_seconds": 86400,
            "location": "cloud",
            "provider": name,
            "model": name,
            "project": name,
            "api_key": name,
            "team": name,
            "requests": 900,
            "input_tokens": 10_000,
            "output_tokens": 2_000,
            "cost_usd": 2,
        }
        for day in range(1, 10)
    ]
    upsert_usage_buckets(sqlite_database, rows)
    record_failure(sqlite_database, "anthropic", f"HTTP 400: {name}", kind="cloud", at=NOW)
    incidents_db.fire(
        sqlite_database,
        rule="unpriced_usage",
        key=name,
        severity="warning",
        summary=f"model {name} has no price",
        details={},
        now=NOW,
    )
    services = Services(load_settings(None), sqlite_database, clock=lambda: NOW)
    for spec in registered_intents():
        assert_inert(message_payload(reply_to(spec.example, services)))


def _clear(database: Database, *models: type) -> None:
    with database.engine.begin() as connection:
        for model in models:
            connection.execute(delete(model))


@EXAMPLES
@given(name=hostile)
def test_digest_with_hostile_names(name: str, sqlite_database: Database) -> None:
    _clear(sqlite_database, UsageBucket, SourceStatus, AlertIncident)
    rows = [
        {
            "source": "openai",
            "bucket_start": datetime(2026, 3, day, tzinfo=UTC),
            "bucket_seconds": 86400,
            "location": "cloud",
            "provider": name,
            "model": name,
            "project": name,
            "requests": 100,
            "cost_usd": 1,
        }
        for day in range(2, 9)
    ]
    upsert_usage_buckets(sqlite_database, rows)
    record_failure(sqlite_database, "anthropic", f"HTTP 400: {name}", kind="cloud", at=NOW)
    incidents_db.fire(
        sqlite_database,
        rule="unpriced_usage",
        key=name,
        severity="warning",
        summary=f"model {name} has no price",
        details={},
        now=NOW,
    )
    digest = build_digest(sqlite_database, load_settings(None), "2026-W10", now=NOW)
    assert name in digest_text(digest.data)  # the console prints it as it is
    assert_inert({"text": escape(digest_text(digest.data)), "blocks": digest_blocks(digest.data)})


@EXAMPLES
@given(name=hostile)
def test_alerts_through_the_slack_poster(name: str, fake_slack_web: FakeSlackWeb) -> None:
    incident = incidents_db.Incident(
        id=1,
        rule=name,
        key=name,
        state="firing",
        severity=name,
        summary=f"model {name} has no price",
        details={},
        first_seen=NOW - timedelta(hours=3),
        last_seen=NOW,
        resolved_at=None,
        last_notified_at=None,
        notify_count=0,
        channel=None,
        thread_ts=None,
        acked_by=name,
        acked_at=NOW,
        snoozed_by=name,
        snoozed_until=NOW + timedelta(hours=1),
    )
    poster = SlackPoster("xoxb-test", fake_slack_web.api_url, messages_per_second=1000)
    for kind in ("open", "update", "reminder", "resolve"):
        blocks = alert_status_blocks(incident, NOW)
        poster.post(Message("C0ALERTS", alert_text(kind, incident, NOW), blocks=blocks))
    for sent in fake_slack_web.messages()[-4:]:
        blocks = sent["blocks"]
        assert_inert(
            {
                "text": sent["text"],
                "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
            }
        )


@EXAMPLES
@given(name=hostile)
def test_home_and_modals(name: str, sqlite_database: Database) -> None:
    _clear(sqlite_database, SourceStatus, AlertIncident, ChecklistAnswer)
    services = Services(load_settings(None), sqlite_database, clock=lambda: NOW)
    record_failure(sqlite_database, name, f"HTTP 401: {name}", kind="cloud", at=NOW)
    incidents_db.fire(
        sqlite_database,
        rule="budget",
        key="month",
        severity="critical",
        summary=name,
        details={},
        now=NOW,
    )
    try:
        set_answer(sqlite_database, "ops_owner", name, answered_by=name)
        set_answer(sqlite_database, "exit_cost", name, answered_by="U1")
    except Exception as exc:  # a value the checklist refuses never reaches Slack at all
        pytest.skip(f"refused: {exc}")
    for view in (
        home_view(services),
        read_only_view(services),
        checklist_view(services, channel=None),
    ):
        assert_inert(view)
