"""Trust boundaries: bots are never answered; other organisations only when allowed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from golocal.bot.services import Services
from golocal.bot.slack.app import create_app
from golocal.bot.slack.http import GolocalRequestHandler
from golocal.config.settings import load_settings
from golocal.db.database import Database
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
from tests.fakes.slack_web import TEAM_ID, FakeSlackWeb

OTHER_TEAM = "T0OTHERORG"


def _shared(event: dict[str, object], event_id: str, user_team: str) -> dict[str, object]:
    """An event from a Slack Connect channel (https://api.slack.com/apis/channels-between-orgs)."""
    body = event_callback({**event, "user_team": user_team, "source_team": TEAM_ID}, event_id)
    return {**body, "is_ext_shared_channel": True}


def _answered_threads(fake: FakeSlackWeb, expected: int) -> list[str]:
    """The threads answered once ``expected`` answers arrived (a control message last)."""
    fake.wait_for("chat.postMessage", expected)
    return [call.args.get("thread_ts") for call in fake.succeeded("chat.postMessage")]


def test_mentions_from_bots_are_never_answered(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    from_bot = {**app_mention("help", "1700000100.000100"), "bot_id": "B0OTHERBOT"}
    bot_message = {**app_mention("help", "1700000100.000200"), "subtype": "bot_message"}
    assert http_app.post_json(event_callback(from_bot, "EvBot1")).status_code == 200
    assert http_app.post_json(event_callback(bot_message, "EvBot2")).status_code == 200
    person = app_mention("help", "1700000100.000300")
    assert http_app.post_json(event_callback(person, "EvPerson")).status_code == 200
    assert _answered_threads(fake_slack_web, 1) == ["1700000100.000300"]


def test_external_users_are_refused_and_logged(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="golocal"):
        outsider = _shared(app_mention("spend", "1700000101.000100"), "EvExt", OTHER_TEAM)
        assert http_app.post_json(outsider).status_code == 200
        insider = _shared(app_mention("help", "1700000101.000200"), "EvIn", TEAM_ID)
        assert http_app.post_json(insider).status_code == 200
        assert _answered_threads(fake_slack_web, 1) == ["1700000101.000200"]
    refusals = [r.getMessage() for r in caplog.records if "refused event" in r.getMessage()]
    assert len(refusals) == 1 and OTHER_TEAM in refusals[0]


def test_external_slash_command_gets_an_ephemeral_refusal(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    command = slash_command(fake_slack_web.response_url("ext"), "spend this month")
    response = http_app.post_form({**command, "team_id": OTHER_TEAM})
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "installed it" in response.json()["text"]
    # a command of our own workspace is still answered, and it is the only answer
    http_app.post_form(slash_command(fake_slack_web.response_url("own"), "help"))
    [answer] = fake_slack_web.wait_for("response_url")
    assert answer.path.endswith("/own")


def test_external_button_press_does_nothing(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    action = {
        "type": "block_actions",
        "user": {"id": ADMIN, "team_id": OTHER_TEAM},
        "team": {"id": TEAM_ID},
        "is_ext_shared_channel": True,
        "api_app_id": "A0000APP",
        "trigger_id": "1337.42.ext",
        "container": {"type": "view", "view_id": "V0000HOME"},
        "actions": [{"action_id": "golocal_update_answers", "block_id": "b", "type": "button"}],
    }
    assert http_app.post_interaction(action).status_code == 200
    inside = {**action, "user": {"id": ADMIN, "team_id": TEAM_ID}, "trigger_id": "1337.42.own"}
    assert http_app.post_interaction(inside).status_code == 200
    [opened] = fake_slack_web.wait_for("views.open")
    assert opened.args["trigger_id"] == "1337.42.own"


@pytest.fixture
def open_app(
    fake_slack_web: FakeSlackWeb, database: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningHttpApp]:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("GOLOCAL_SLACK__ALLOW_EXTERNAL", "true")
    services = Services(settings=load_settings(), database=database, clock=lambda: NOW)
    app = create_app(services.settings, services, http_mode=True)
    for url in serve_in_thread(GolocalRequestHandler(app, SIGNING_SECRET)):
        with httpx.Client(timeout=10) as client:
            yield RunningHttpApp(url, client)


def test_allow_external_answers_other_organisations(
    open_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, caplog: pytest.LogCaptureFixture
) -> None:
    outsider = _shared(app_mention("help", "1700000102.000100"), "EvExtOk", OTHER_TEAM)
    with caplog.at_level(logging.INFO, logger="golocal"):
        assert open_app.post_json(outsider).status_code == 200
        assert _answered_threads(fake_slack_web, 1) == ["1700000102.000100"]
    decisions = [
        r.getMessage() for r in caplog.records if "allow_external is true" in r.getMessage()
    ]
    assert len(decisions) == 1 and OTHER_TEAM in decisions[0]
    from_bot = {**app_mention("help", "1700000102.000200"), "bot_id": "B0OTHERBOT"}
    open_app.post_json(event_callback(from_bot, "EvBotStill"))
    person = app_mention("help", "1700000102.000300")
    open_app.post_json(event_callback(person, "EvPerson2"))
    answered = sorted(_answered_threads(fake_slack_web, 2))
    assert answered == ["1700000102.000100", "1700000102.000300"]
    assert json.dumps(fake_slack_web.messages()).count("1700000102.000200") == 0
