"""Chat answers survive transient Slack failures, and a failed answer is explained to the asker."""

from __future__ import annotations

from tests.bot.slack.conftest import RunningHttpApp, app_mention, event_callback
from tests.fakes.slack_web import FakeSlackWeb


def test_a_5xx_on_the_answer_is_retried(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    fake_slack_web.fail_next("chat.postMessage", status=503, error="service_unavailable")
    mention = app_mention("help", "1700000200.000100")
    assert http_app.post_json(event_callback(mention, "Ev503")).status_code == 200
    fake_slack_web.wait_for("chat.postMessage", timeout=15)
    calls = fake_slack_web.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [503, 200]
    assert calls[1].args["thread_ts"] == "1700000200.000100"


def test_a_refused_answer_is_explained_to_the_asker(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    fake_slack_web.fail_next(
        "chat.postMessage", status=200, error="missing_scope", retry_after=None, needed="chat:write"
    )
    mention = app_mention("help", "1700000201.000100")
    assert http_app.post_json(event_callback(mention, "EvScope")).status_code == 200
    [note] = fake_slack_web.wait_for("chat.postEphemeral")
    assert note.args["user"] == "UUSER0001" and note.args["channel"] == "C0000CHAN"
    assert "I could not post my answer" in note.args["text"]
    assert "lacks the chat:write scope" in note.args["text"]
