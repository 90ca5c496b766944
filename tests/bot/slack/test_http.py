"""HTTP mode end to end: signed requests to uvicorn, answers to the fake Slack Web API."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from golocal.bot.services import Services
from golocal.bot.slack.app import create_app
from golocal.bot.slack.http import GolocalRequestHandler
from golocal.config.settings import load_settings
from golocal.db.checklist import current_answers, set_answer
from golocal.db.database import Database
from tests.bot.slack.conftest import (
    ADMIN,
    NOW,
    SIGNING_SECRET,
    RunningHttpApp,
    app_mention,
    event_callback,
    serve_in_thread,
    sign,
    slash_command,
)
from tests.fakes.slack_web import FakeSlackWeb

pytestmark = pytest.mark.usefixtures("fake_slack_web")


def slash(fake: FakeSlackWeb, text: str, user: str = "UUSER0001") -> dict[str, str]:
    return slash_command(fake.response_url("cmd"), text, user)


def test_url_verification_answers_the_challenge(http_app: RunningHttpApp) -> None:
    response = http_app.post_json(
        {"type": "url_verification", "challenge": "abc123", "token": "unused"}
    )
    assert response.status_code == 200
    assert response.json()["challenge"] == "abc123"


def test_healthz(http_app: RunningHttpApp) -> None:
    response = http_app.client.get(http_app.url + "/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_slash_command_is_acked_then_answered_through_response_url(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    response = http_app.post_form(slash(fake_slack_web, "how many requests per day?"))
    assert response.status_code == 200
    [call] = fake_slack_web.wait_for("response_url")
    assert call.args["response_type"] == "ephemeral"  # only the asker sees it
    assert "No usage data" in call.args["text"]
    share = call.args["blocks"][-1]["elements"][0]
    assert share["text"]["text"] == "Share in channel"
    assert share["value"] == "how many requests per day?"


def test_empty_slash_command_answers_the_help(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    assert http_app.post_form(slash(fake_slack_web, "")).status_code == 200
    [call] = fake_slack_web.wait_for("response_url")
    assert call.args["response_type"] == "ephemeral"
    assert "I can answer" in call.args["text"]


@pytest.mark.parametrize("problem", ["tampered", "old", "missing", "wrong_secret"])
def test_badly_signed_requests_get_401_and_nothing_runs(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, problem: str
) -> None:
    from urllib.parse import urlencode

    body = urlencode(slash(fake_slack_web, "volume"))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if problem == "tampered":
        headers |= sign(body)
        body = body.replace("volume", "usage")
    elif problem == "old":
        headers |= sign(body, timestamp=int(time.time()) - 6 * 60)
    elif problem == "wrong_secret":
        headers |= sign(body, secret="not-the-secret")
    response = http_app.client.post(http_app.url + "/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    time.sleep(0.3)
    assert fake_slack_web.calls_to("response_url") == []


def test_garbled_payload_is_400_and_logged(
    http_app: RunningHttpApp, caplog: pytest.LogCaptureFixture
) -> None:
    body = '{"type": "event_callback", "event": '
    with caplog.at_level(logging.WARNING, logger="golocal"):
        response = http_app.client.post(
            http_app.url + "/slack/events",
            content=body,
            headers={"Content-Type": "application/json", **sign(body)},
        )
    assert response.status_code == 400
    assert any("garbled payload" in record.getMessage() for record in caplog.records)


def test_mention_is_answered_in_its_thread(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    mention = app_mention("how many requests per day?", "1700000001.000200")
    assert http_app.post_json(event_callback(mention)).status_code == 200
    [call] = fake_slack_web.wait_for("chat.postMessage")
    assert call.ok
    assert call.args["channel"] == "C0000CHAN"
    assert call.args["thread_ts"] == "1700000001.000200"
    assert "No usage data" in call.args["text"]


def test_redelivered_event_is_answered_once(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    mention = app_mention("help", "1700000001.000300")
    assert http_app.post_json(event_callback(mention, "EvSAME")).status_code == 200
    retry = http_app.post_json(
        event_callback(mention, "EvSAME"),
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200
    fake_slack_web.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(fake_slack_web.calls_to("chat.postMessage")) == 1


def test_direct_message_is_answered_in_the_dm(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    dm = {
        "type": "message",
        "channel_type": "im",
        "user": "UUSER0001",
        "channel": "D0000DM",
        "text": "what can you do",
        "ts": "1700000002.000100",
    }
    assert http_app.post_json(event_callback(dm, "EvDM")).status_code == 200
    [call] = fake_slack_web.wait_for("chat.postMessage")
    assert call.args["channel"] == "D0000DM"
    assert call.args.get("thread_ts") is None
    assert "I can answer" in call.args["text"]


def test_rate_limited_post_is_retried(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    fake_slack_web.fail_next("chat.postMessage", status=429, retry_after=1)
    mention = app_mention("help", "1700000003.000100")
    assert http_app.post_json(event_callback(mention, "Ev429")).status_code == 200
    fake_slack_web.wait_for("chat.postMessage", timeout=15)
    calls = fake_slack_web.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.9  # Retry-After was honoured


def test_slack_outage_is_logged_not_lost(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack_web.fail_next(
        "chat.postMessage", status=200, error="channel_not_found", retry_after=None
    )
    mention = app_mention("help", "1700000004.000100", channel="C0000GONE")
    with caplog.at_level(logging.ERROR, logger="golocal"):
        assert http_app.post_json(event_callback(mention, "EvGone")).status_code == 200
        deadline = time.monotonic() + 10
        while not any("could not post" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the failed post was not logged"
            time.sleep(0.05)
    message = next(r.getMessage() for r in caplog.records if "could not post" in r.getMessage())
    assert "channel_not_found" in message and "C0000GONE" in message


def test_app_home_is_published(http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb) -> None:
    opened = {
        "type": "app_home_opened",
        "user": "UUSER0001",
        "channel": "D0000DM",
        "tab": "home",
        "event_ts": "1700000005.000100",
    }
    assert http_app.post_json(event_callback(opened, "EvHome")).status_code == 200
    [call] = fake_slack_web.wait_for("views.publish")
    assert call.ok, call
    view = (
        json.loads(call.args["view"]) if isinstance(call.args["view"], str) else (call.args["view"])
    )
    assert call.args["user_id"] == "UUSER0001"
    text = json.dumps(view)
    for part in (
        "Requests/day",
        "Spend this month",
        "GPU utilisation",
        "Open alerts",
        "Sources",
        "Re-run the checklist",
        "Update our answers",
    ):
        assert part in text


def _block_action(action_id: str, user: str) -> dict[str, object]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "someone"},
        "api_app_id": "A0000APP",
        "token": "unused",
        "trigger_id": "1337.42.trigger",
        "team": {"id": "T0000TEAM"},
        "container": {"type": "view", "view_id": "V0000HOME"},
        "view": {"id": "V0000HOME", "type": "home"},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "action_ts": "1700000006.000100",
            }
        ],
    }


def test_update_answers_opens_the_modal_prefilled(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services
) -> None:
    set_answer(services.database, "ops_owner", "platform team", answered_by=ADMIN, at=NOW)
    set_answer(
        services.database, "code_location", "regulated", scope="proj_pay", answered_by=ADMIN, at=NOW
    )
    response = http_app.post_interaction(_block_action("golocal_update_answers", ADMIN))
    assert response.status_code == 200
    [call] = fake_slack_web.wait_for("views.open")
    assert call.ok, call
    assert call.args["trigger_id"] == "1337.42.trigger"
    view = call.args["view"]
    text = json.dumps(view)
    assert "platform team" in text and "proj_pay: regulated" in text


def test_non_admin_sees_the_answers_read_only(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services: Services
) -> None:
    set_answer(services.database, "ops_owner", "platform team", answered_by=ADMIN, at=NOW)
    http_app.post_interaction(_block_action("golocal_update_answers", "UOTHER001"))
    [call] = fake_slack_web.wait_for("views.open")
    view = call.args["view"]
    assert "submit" not in view and "Only admins can change this" in json.dumps(view)
    assert "platform team" in json.dumps(view)


def test_admin_user_group_members_may_store_answers(
    fake_slack_web: FakeSlackWeb, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_slack_web.usergroups["S0000ADMINS"] = ["UGROUP001"]
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("GOLOCAL_SLACK__ADMIN_USERGROUP", "S0000ADMINS")
    services = Services(settings=load_settings(), database=database, clock=lambda: NOW)
    app = create_app(services.settings, services, http_mode=True)
    for url in serve_in_thread(GolocalRequestHandler(app, SIGNING_SECRET)):
        with httpx.Client(timeout=10) as client:
            running = RunningHttpApp(url, client)
            refused = running.post_interaction(_submission("UOTHER001", ops_owner="eve"))
            assert refused.json()["response_action"] == "errors"
            accepted = running.post_interaction(_submission("UGROUP001", ops_owner="grace"))
            assert accepted.text in {"", "{}"}
    [answer] = current_answers(database)
    assert (answer.value, answer.answered_by) == ("grace", "UGROUP001")
    lookups = fake_slack_web.calls_to("usergroups.users.list")
    assert [c.args["usergroup"] for c in lookups] == ["S0000ADMINS", "S0000ADMINS"]


def _submission(user: str, **fields: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, value in fields.items():
        if key in {"code_location", "model_size"}:
            values[key] = {key: {"type": "static_select", "selected_option": {"value": value}}}
        else:
            values[key] = {key: {"type": "plain_text_input", "value": value}}
    return {
        "type": "view_submission",
        "team": {"id": "T0000TEAM"},
        "user": {"id": user, "username": "someone"},
        "api_app_id": "A0000APP",
        "token": "unused",
        "trigger_id": "1337.42.submit",
        "view": {
            "id": "V0000MODAL",
            "type": "modal",
            "callback_id": "golocal_checklist",
            "private_metadata": json.dumps({"channel": "C0000CHAN"}),
            "state": {"values": values},
        },
    }


def test_invalid_submission_shows_errors_on_the_fields(http_app: RunningHttpApp, services) -> None:
    response = http_app.post_interaction(
        _submission(
            ADMIN,
            code_location="regulated",
            code_location_scoped="proj_x: secret-ish",
            ops_owner="alice",
        )
    )
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"code_location_scoped"}
    assert "line 1" in body["errors"]["code_location_scoped"]
    assert current_answers(services.database) == []


def test_valid_submission_is_stored_with_who_and_when(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services
) -> None:
    response = http_app.post_interaction(
        _submission(
            ADMIN,
            code_location="proprietary",
            code_location_scoped="team:payments: regulated",
            ops_owner="nobody",
            model_size="mixed",
            exit_cost="high: fine-tuned review model",
        )
    )
    assert response.status_code == 200
    assert response.text in {"", "{}"} or "errors" not in response.json()
    fake_slack_web.wait_for("chat.postEphemeral")  # stored after the ack, then confirmed
    stored = {(a.key, a.scope): a for a in current_answers(services.database)}
    assert stored[("code_location", "")].value == "proprietary"
    assert stored[("code_location", "team:payments")].value == "regulated"
    assert stored[("ops_owner", "")].value == "none"
    assert stored[("exit_cost", "")].value == "high: fine-tuned review model"
    assert all(a.answered_by == ADMIN and a.answered_at == NOW for a in stored.values())
    [note] = fake_slack_web.wait_for("chat.postEphemeral")
    assert note.args["user"] == ADMIN and "Saved 5" in note.args["text"]


def test_non_admin_submission_is_refused(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services
) -> None:
    response = http_app.post_interaction(_submission("UOTHER001", ops_owner="mallory"))
    body = response.json()
    assert body["response_action"] == "errors"
    assert "Only admins can change this" in next(iter(body["errors"].values()))
    assert current_answers(services.database) == []
    [note] = fake_slack_web.wait_for("chat.postEphemeral")
    assert note.args["user"] == "UOTHER001"
    assert "Only admins can change this" in note.args["text"]


def test_non_admin_slash_command_for_answers_gets_an_ephemeral_refusal(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    response = http_app.post_form(slash(fake_slack_web, "update our answers", user="UOTHER001"))
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "Only admins can change this" in response.json()["text"]
    time.sleep(0.3)
    assert fake_slack_web.calls_to("views.open") == []
