"""Chat in Slack, through the real app in HTTP mode against the loopback Slack fake:
follow-ups in a thread, "Did you mean …?" buttons, and checklist changes for admins only."""

from __future__ import annotations

import json

from golocal.bot.services import Services
from golocal.db.checklist import current_answer
from tests.bot.slack.conftest import (
    ADMIN,
    RunningHttpApp,
    app_mention,
    event_callback,
    slash_command,
)
from tests.fakes.slack_web import FakeSlackWeb


def _mention_from(user: str, text: str, ts: str, thread_ts: str | None = None) -> dict:
    mention = app_mention(text, ts, thread_ts=thread_ts)
    mention["user"] = user
    return mention


def test_a_follow_up_in_the_thread_reuses_the_question(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    first = app_mention("what did we spend last week?", "1700000100.000100")
    http_app.post_json(event_callback(first, "EvF1"))
    [answer] = fake_slack_web.wait_for("chat.postMessage")
    assert "last week" in answer.args["text"]
    follow = app_mention("and last month?", "1700000100.000200", thread_ts="1700000100.000100")
    http_app.post_json(event_callback(follow, "EvF2"))
    calls = fake_slack_web.wait_for("chat.postMessage", count=2)
    reply = calls[1].args
    assert reply["thread_ts"] == "1700000100.000100"
    assert "cloud usage recorded for last month" in reply["text"].lower()
    # another thread knows nothing of it: the same words there get the help
    other = app_mention("and last month?", "1700000200.000100")
    http_app.post_json(event_callback(other, "EvF3"))
    calls = fake_slack_web.wait_for("chat.postMessage", count=3)
    assert "Sorry, I don't understand" in calls[2].args["text"]


def test_did_you_mean_has_buttons_that_answer_in_the_thread(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    mention = app_mention("how much did we use last week?", "1700000300.000100")
    http_app.post_json(event_callback(mention, "EvD1"))
    [question] = fake_slack_web.wait_for("chat.postMessage")
    assert question.args["text"].startswith("Did you mean the spend or the volume?")
    blocks = question.args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    [actions] = [b for b in blocks if b["type"] == "actions"]
    volume = next(e for e in actions["elements"] if e["text"]["text"] == "the volume")
    click = {
        "type": "block_actions",
        "user": {"id": "UUSER0001", "username": "someone"},
        "api_app_id": "A0000APP",
        "token": "unused",
        "trigger_id": "1337.42.trigger",
        "team": {"id": "T0000TEAM"},
        "channel": {"id": "C0000CHAN"},
        "container": {"type": "message", "message_ts": "1700000300.000500"},
        "message": {"ts": "1700000300.000500", "thread_ts": "1700000300.000100"},
        "response_url": fake_slack_web.response_url("click"),
        "actions": [
            {
                "action_id": volume["action_id"],
                "block_id": actions.get("block_id", "b"),
                "type": "button",
                "value": volume["value"],
                "action_ts": "1700000300.000600",
            }
        ],
    }
    assert http_app.post_interaction(click).status_code == 200
    calls = fake_slack_web.wait_for("chat.postMessage", count=2)
    answer = calls[1].args
    assert answer["thread_ts"] == "1700000300.000100"
    assert "No usage data for last week" in answer["text"]


def test_checklist_change_in_slack_is_for_admins_only(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb, services: Services
) -> None:
    refused = _mention_from("UOTHER001", "our code is regulated", "1700000400.000100")
    http_app.post_json(event_callback(refused, "EvC1"))
    [call] = fake_slack_web.wait_for("chat.postMessage")
    assert "Only admins" in call.args["text"]
    assert current_answer(services.database, "code_location") is None
    allowed = _mention_from(ADMIN, "our code is regulated", "1700000400.000200")
    http_app.post_json(event_callback(allowed, "EvC2"))
    calls = fake_slack_web.wait_for("chat.postMessage", count=2)
    assert "Recorded: code location = regulated" in calls[1].args["text"]
    stored = current_answer(services.database, "code_location")
    assert stored is not None and (stored.value, stored.answered_by) == ("regulated", ADMIN)


def test_slash_command_follow_ups_per_user_and_channel(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    url = fake_slack_web.response_url("cmd1")
    http_app.post_form(slash_command(url, "how many requests last week?"))
    fake_slack_web.wait_for("response_url")
    second = slash_command(url, "and yesterday?") | {"trigger_id": "1337.43.efgh"}
    http_app.post_form(second)
    calls = fake_slack_web.wait_for("response_url", count=2)
    assert "No usage data for yesterday" in calls[1].args["text"]
    blocks = calls[1].args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    share = [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "golocal_share_answer"
    ]
    # sharing reposts the whole question, not "and yesterday?" alone
    assert share and share[0]["value"] == "how many requests yesterday"
