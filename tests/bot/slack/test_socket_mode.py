"""Socket Mode end to end: a fake WebSocket server sends envelopes, the app acks and answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from golocal.bot.services import Services
from golocal.bot.slack.app import create_app
from golocal.bot.slack.socket_mode import socket_mode_handler
from tests.bot.slack.conftest import app_mention, event_callback, slash_command
from tests.fakes.slack_socket import FakeSocketMode, running_fake_socket_mode
from tests.fakes.slack_web import FakeSlackWeb


@pytest.fixture
def socket_mode(services: Services, fake_slack_web: FakeSlackWeb) -> Iterator[FakeSocketMode]:
    """The app connected to a fake Socket Mode server, as ``golocal run --socket`` runs it."""
    with running_fake_socket_mode() as fake_socket:
        fake_slack_web.socket_url = fake_socket.url
        handler = socket_mode_handler(create_app(services.settings, services), services.settings)
        handler.connect()
        assert fake_socket.connected.wait(10)
        try:
            yield fake_socket
        finally:
            # the client's close waits out its receiver's poll (seconds) unless the server
            # hangs up first; with reconnection off it then stops at once
            handler.client.auto_reconnect_enabled = False
            if fake_socket.connection is not None:
                fake_socket.connection.close()
            handler.close()


def test_connection_is_opened_with_the_app_token(
    socket_mode: FakeSocketMode, fake_slack_web: FakeSlackWeb
) -> None:
    [call] = fake_slack_web.calls_to("apps.connections.open")
    assert call.token == "xapp-1-test"


def test_slash_command_over_socket_mode(
    socket_mode: FakeSocketMode, fake_slack_web: FakeSlackWeb
) -> None:
    envelope = socket_mode.send(
        "slash_commands",
        slash_command(fake_slack_web.response_url("socket"), "volume last 30 days"),
    )
    started = time.monotonic()
    socket_mode.wait_ack(envelope)
    assert time.monotonic() - started < 3
    [call] = fake_slack_web.wait_for("response_url")
    assert "No usage data for the last 30 days" in call.args["text"]


def _mention(ts: str, text: str, thread_ts: str | None = None) -> dict[str, object]:
    return event_callback(app_mention(text, ts, thread_ts=thread_ts), f"Ev{ts.replace('.', '')}")


def test_mention_in_a_thread_is_answered_in_that_thread(
    socket_mode: FakeSocketMode, fake_slack_web: FakeSlackWeb
) -> None:
    envelope = socket_mode.send(
        "events_api", _mention("1700000010.000200", "help", thread_ts="1700000009.000100")
    )
    socket_mode.wait_ack(envelope)
    [call] = fake_slack_web.wait_for("chat.postMessage")
    assert call.args["thread_ts"] == "1700000009.000100"
    assert "I can answer" in call.args["text"]


def test_redelivered_envelope_is_answered_once(
    socket_mode: FakeSocketMode, fake_slack_web: FakeSlackWeb
) -> None:
    payload = _mention("1700000011.000200", "help")
    first = socket_mode.send("events_api", payload)
    socket_mode.wait_ack(first)
    again = socket_mode.send("events_api", payload, retry_attempt=1)
    socket_mode.wait_ack(again)  # acknowledged, so Slack stops re-sending
    fake_slack_web.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(fake_slack_web.calls_to("chat.postMessage")) == 1


def test_golocal_run_in_socket_mode_answers_and_stops_on_sigterm(
    fake_slack_web: FakeSlackWeb, database_url: str
) -> None:
    env = {
        **os.environ,
        "GOLOCAL_DATABASE_URL": database_url,
        "SLACK_APP_TOKEN": "xapp-1-test",
        "GOLOCAL_SLACK__ANSWER_WORKERS": "1",
    }
    command = [sys.executable, "-c", "from golocal.bot.cli import main; main()", "run"]
    with running_fake_socket_mode() as fake_socket:
        fake_slack_web.socket_url = fake_socket.url
        process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        try:
            assert fake_socket.connected.wait(30), "golocal run did not connect"
            envelope = fake_socket.send(
                "slash_commands",
                slash_command(fake_slack_web.response_url("run")),
            )
            fake_socket.wait_ack(envelope)
            [call] = fake_slack_web.wait_for("response_url", timeout=30)
            assert "I can answer" in call.args["text"]
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(20)
    assert code == 0, process.stderr.read() if process.stderr else ""


def test_garbled_envelopes_are_acked_and_answered_by_nothing(
    socket_mode: FakeSocketMode, fake_slack_web: FakeSlackWeb
) -> None:
    garbled = [
        ("events_api", {"type": "event_callback", "event_id": "EvBad1", "event": []}),
        ("events_api", {"type": "event_callback", "event_id": "EvBad2", "event": {}}),
        ("interactive", {"type": "block_actions", "user": "U1", "actions": "x"}),
        ("interactive", {"type": "view_submission", "view": {"private_metadata": "{"}}),
    ]
    for kind, payload in garbled:
        socket_mode.wait_ack(socket_mode.send(kind, payload))
    bot = {**app_mention("help", "1700000400.000100"), "bot_id": "B0OTHER"}
    socket_mode.wait_ack(socket_mode.send("events_api", event_callback(bot, "EvBot")))
    # the app is still answering people
    socket_mode.wait_ack(socket_mode.send("events_api", _mention("1700000400.000200", "help")))
    [answer] = fake_slack_web.wait_for("chat.postMessage")
    assert answer.args["thread_ts"] == "1700000400.000200"
