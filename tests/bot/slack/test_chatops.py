"""ChatOps end to end over signed HTTP requests: share, loading indicators, alert buttons, the
Messages-tab welcome, file-only DMs and the App Home after a save."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from golocal.bot.alert_notify import deliver_alerts
from golocal.bot.posting import ChannelPacer, SlackPoster
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.bot.slack.answering import Answerer, in_process
from golocal.bot.slack.app import create_app
from golocal.bot.slack.http import GolocalRequestHandler
from golocal.db import alerts as incidents_db
from golocal.db.checklist import current_answers
from golocal.jobs.alerts import due_notifications
from tests.bot.slack.conftest import (
    ADMIN,
    NOW,
    SIGNING_SECRET,
    RunningHttpApp,
    app_mention,
    event_callback,
    serve_in_thread,
    slash_command,
)
from tests.fakes.slack_web import FakeSlackWeb

ALERTS = "C0ALERTS"


def _press(action: dict[str, object], *, channel: str, ts: str, **extra: object) -> dict:
    """A block_actions payload for a button on a message (as Slack sends it)."""
    return {
        "type": "block_actions",
        "user": {"id": ADMIN, "team_id": "T0000TEAM"},
        "team": {"id": "T0000TEAM"},
        "api_app_id": "A0000APP",
        "trigger_id": f"1337.{time.monotonic_ns()}",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, **extra},
        "channel": {"id": channel},
        "actions": [action],
    }


def test_share_in_channel_posts_the_answer_and_drops_the_ephemeral(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    share = {
        "action_id": "golocal_share_answer",
        "block_id": "golocal_share",
        "type": "button",
        "value": "how many requests per day?",
    }
    payload = _press(share, channel="C0000CHAN", ts="1700000300.000100", is_ephemeral=True)
    payload["response_url"] = fake_slack_web.response_url("share")
    assert http_app.post_interaction(payload).status_code == 200
    [posted] = fake_slack_web.wait_for("chat.postMessage")
    assert posted.args["channel"] == "C0000CHAN" and "No usage data" in posted.args["text"]
    assert posted.args["blocks"][-1]["elements"][0]["text"] == f"Shared by <@{ADMIN}>"
    [dropped] = fake_slack_web.wait_for("response_url")
    assert dropped.args.get("delete_original") is True


@pytest.fixture
def slow_app(services: Services, fake_slack_web: FakeSlackWeb) -> Iterator[RunningHttpApp]:
    """The app with answers that take 1.5 s (a year of data on a busy machine)."""
    real = in_process(services)

    def slow(question: str) -> Reply:
        time.sleep(1.5)
        return real.reply(question)

    app = create_app(
        services.settings,
        services,
        http_mode=True,
        answerer=Answerer(reply=slow, home_view=real.home_view),
    )
    for url in serve_in_thread(GolocalRequestHandler(app, SIGNING_SECRET)):
        with httpx.Client(timeout=10) as client:
            yield RunningHttpApp(url, client)


def test_slow_mention_shows_a_reaction_until_answered(
    slow_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    mention = app_mention("help", "1700000301.000100")
    assert slow_app.post_json(event_callback(mention, "EvSlow")).status_code == 200
    fake_slack_web.wait_for("reactions.remove")
    methods = [c.method for c in fake_slack_web.calls if c.method != "auth.test"]
    assert methods == ["reactions.add", "chat.postMessage", "reactions.remove"]
    [added] = fake_slack_web.calls_to("reactions.add")
    assert added.args["timestamp"] == "1700000301.000100"
    assert added.args["name"] == "hourglass_flowing_sand"


def test_slow_slash_command_says_answering_then_replaces_it(
    slow_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    slow_app.post_form(slash_command(fake_slack_web.response_url("slow"), "help"))
    first, second = fake_slack_web.wait_for("response_url", 2)
    assert first.args["text"] == "Answering…" and first.args["response_type"] == "ephemeral"
    assert second.args["replace_original"] is True and "I can answer" in second.args["text"]


def test_fast_answers_show_no_indicator(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    http_app.post_form(slash_command(fake_slack_web.response_url("fast"), "help"))
    [answer] = fake_slack_web.wait_for("response_url")
    assert "replace_original" not in answer.args
    assert fake_slack_web.calls_to("reactions.add") == []


def _open_incident(services: Services, fake: FakeSlackWeb) -> tuple[int, str, list[dict]]:
    incidents_db.fire(
        services.database,
        rule="source_failing",
        key="openai",
        severity="warning",
        summary="openai failing: HTTP 401",
        details={"signature": "openai failing: HTTP 401"},
        now=NOW - timedelta(minutes=5),
    )
    poster = SlackPoster("xoxb-test", fake.api_url, backoff_factor=0, pacer=ChannelPacer(1e3))
    [sent] = deliver_alerts(services, poster, ALERTS).sent
    [message] = fake.posts_in(ALERTS)
    return sent.incident_id, message["ts"], message["blocks"]


def _buttons(blocks: list[dict]) -> dict[str, dict]:
    [actions] = [b for b in blocks if b["type"] == "actions"]
    return {element["action_id"]: element for element in actions["elements"]} | {
        "_block_id": {"block_id": actions["block_id"]}
    }


def test_acknowledge_button_stores_who_updates_in_place_and_notes_the_thread(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services: Services
) -> None:
    incident_id, ts, blocks = _open_incident(services, fake_slack_web)
    ack = _buttons(blocks)["golocal_alert_ack"]
    action = {**ack, "block_id": f"golocal_alert:{incident_id}", "action_ts": "1.2"}
    assert http_app.post_interaction(_press(action, channel=ALERTS, ts=ts)).status_code == 200
    [update] = fake_slack_web.wait_for("chat.update")
    fake_slack_web.wait_for("chat.postMessage", 2)  # the opening message, then the note
    [note] = [m for m in fake_slack_web.posts_in(ALERTS) if m.get("thread_ts") == ts]
    assert update.args["ts"] == ts and f"Acknowledged by <@{ADMIN}>" in json.dumps(update.args)
    assert "golocal_alert_ack" not in json.dumps(update.args["blocks"])  # done: button gone
    assert f"<@{ADMIN}> acknowledged this" in json.dumps(note["blocks"])
    incident = incidents_db.get_incident(services.database, incident_id)
    assert incident is not None and (incident.acked_by, incident.acked_at) == (ADMIN, NOW)
    # acknowledged: no reminder when one would be due
    later = NOW + timedelta(hours=services.settings.alerts.repeat_hours + 1)
    assert due_notifications(services.database, services.settings, later) == []


def test_snooze_button_silences_reminders_until_then(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services: Services
) -> None:
    incident_id, ts, blocks = _open_incident(services, fake_slack_web)
    snooze = {
        "action_id": "golocal_alert_snooze",
        "block_id": _buttons(blocks)["_block_id"]["block_id"],
        "type": "static_select",
        "selected_option": {"value": "24h", "text": {"type": "plain_text", "text": "24h"}},
    }
    http_app.post_interaction(_press(snooze, channel=ALERTS, ts=ts))
    fake_slack_web.wait_for("chat.update")
    incident = incidents_db.get_incident(services.database, incident_id)
    assert incident is not None and incident.snoozed_until == NOW + timedelta(hours=24)
    assert incident.snoozed_by == ADMIN
    repeat = timedelta(hours=services.settings.alerts.repeat_hours)
    assert due_notifications(services.database, services.settings, NOW + repeat) == []
    after = due_notifications(services.database, services.settings, NOW + timedelta(hours=25))
    assert [n.kind for n in after] == ["reminder"]


def test_resolve_button_resolves_once(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services: Services
) -> None:
    incident_id, ts, blocks = _open_incident(services, fake_slack_web)
    resolve = {**_buttons(blocks)["golocal_alert_resolve"], "block_id": "b"}
    http_app.post_interaction(_press(resolve, channel=ALERTS, ts=ts))
    [update] = fake_slack_web.wait_for("chat.update")
    assert "actions" not in [b["type"] for b in update.args["blocks"]]
    assert f"Resolved by <@{ADMIN}>" in json.dumps(update.args["blocks"])
    incident = incidents_db.get_incident(services.database, incident_id)
    assert incident is not None and incident.state == "resolved" and incident.resolved_by == ADMIN
    # the thread note was the resolution: the alert job does not announce it again
    assert due_notifications(services.database, services.settings, NOW) == []


def test_messages_tab_welcome_once(http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb) -> None:
    opened = {
        "type": "app_home_opened",
        "user": "UUSER0001",
        "channel": "D0000DM",
        "tab": "messages",
    }
    http_app.post_json(event_callback(opened, "EvTab1"))
    [welcome] = fake_slack_web.wait_for("chat.postMessage")
    assert welcome.args["channel"] == "D0000DM" and "should we go local?" in welcome.args["text"]
    http_app.post_json(event_callback(opened, "EvTab2"))
    home = {**opened, "tab": "home"}
    http_app.post_json(event_callback(home, "EvTab3"))
    fake_slack_web.wait_for("views.publish")
    assert len(fake_slack_web.calls_to("chat.postMessage")) == 1


def test_a_dm_with_only_a_file_says_text_questions_only(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    dm = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "user": "UUSER0001",
        "channel": "D0000DM",
        "text": "",
        "files": [{"id": "F0001", "name": "usage.csv"}],
        "ts": "1700000302.000100",
    }
    http_app.post_json(event_callback(dm, "EvFile"))
    [reply] = fake_slack_web.wait_for("chat.postMessage")
    assert reply.args["channel"] == "D0000DM" and "I read text questions only" in reply.args["text"]


def test_saving_from_home_refreshes_it_with_a_confirmation(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services: Services
) -> None:
    submission = {
        "type": "view_submission",
        "team": {"id": "T0000TEAM"},
        "user": {"id": ADMIN, "team_id": "T0000TEAM"},
        "trigger_id": "1337.42.home",
        "view": {
            "id": "V0000MODAL",
            "type": "modal",
            "callback_id": "golocal_checklist",
            "private_metadata": json.dumps({"channel": None}),
            "state": {"values": {"ops_owner": {"ops_owner": {"value": "platform team"}}}},
        },
    }
    assert http_app.post_interaction(submission).status_code == 200
    [published] = fake_slack_web.wait_for("views.publish")
    assert published.args["user_id"] == ADMIN
    assert "Saved 1 changed answer(s) to the checklist." in json.dumps(published.args["view"])
    assert [a.value for a in current_answers(services.database)] == ["platform team"]
