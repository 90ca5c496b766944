"""HTTP mode limits: large bodies refused before reading, garbled signed payloads get 400, retries
of commands and interactions are answered once."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.bot.slack.conftest import ADMIN, RunningHttpApp, sign, slash_command
from tests.fakes.slack_web import FakeSlackWeb

MIB = 1024 * 1024


def _rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def _raw_post(url: str, head: str, chunks: int, chunk: bytes, *, chunked: bool) -> int:
    """Send a request by hand (so the client holds one chunk, not the body); the status."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(head.encode())
        try:
            for _ in range(chunks):
                data = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
                conn.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest, as it should
        answer = conn.recv(4096).decode("latin-1")
    return int(answer.split(" ", 2)[1])


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_large_unsigned_bodies_are_refused_before_reading(
    http_app: RunningHttpApp, chunked: bool
) -> None:
    chunk = b"x" * (64 * 1024)
    chunks = 200 * MIB // len(chunk)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {chunks * len(chunk)}"
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\n{length}\r\n\r\n"
    )
    before = _rss_bytes()
    statuses = [_raw_post(http_app.url, head, chunks, chunk, chunked=chunked) for _ in range(3)]
    assert statuses == [413, 413, 413]
    assert _rss_bytes() - before < 32 * MIB  # three 200 MB bodies, memory stays flat
    assert http_app.client.get(http_app.url + "/healthz").status_code == 200


def _nested(levels: int) -> str:
    return '{"type": "event_callback", "event": ' + "[" * levels + "]" * levels + "}"


GARBLED_JSON = {
    "list": "[1, 2]",
    "null": "null",
    "string": '"event_callback"',
    "number": "42",
    "event is a list": '{"type": "event_callback", "event_id": "Ev1", "event": []}',
    "event without type": '{"type": "event_callback", "event_id": "Ev1", "event": {}}',
    "nested beyond the recursion limit": _nested(100_000),
    "nested deeper than Slack ever does": _nested(200),
    "truncated": '{"type": "event_callback", "event": ',
}


@pytest.mark.parametrize("body", GARBLED_JSON.values(), ids=GARBLED_JSON.keys())
def test_garbled_signed_json_is_400(http_app: RunningHttpApp, body: str) -> None:
    headers = {"Content-Type": "application/json", **sign(body)}
    response = http_app.client.post(http_app.url + "/slack/events", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json() == {"error": "garbled payload"}


def _view(**changes: object) -> dict[str, object]:
    view = {
        "type": "view_submission",
        "user": {"id": ADMIN, "team_id": "T0000TEAM"},
        "team": {"id": "T0000TEAM"},
        "trigger_id": "1.2.3",
        "view": {"id": "V1", "type": "modal", "callback_id": "golocal_checklist"},
    }
    return {**view, **changes}


GARBLED_INTERACTIONS = {
    "payload is a list": "[1]",
    "payload is null": "null",
    "view without user": json.dumps({k: v for k, v in _view().items() if k != "user"}),
    "user is a string": json.dumps(_view(user="U1")),
    "view is a list": json.dumps(_view(view=[])),
    "non-JSON private_metadata": json.dumps(
        _view(view={"id": "V1", "type": "modal", "private_metadata": "{not json"})
    ),
    "state values is a list": json.dumps(
        _view(view={"id": "V1", "type": "modal", "state": {"values": []}})
    ),
    "actions is a string": json.dumps(
        {"type": "block_actions", "user": {"id": ADMIN}, "actions": "golocal_update_answers"}
    ),
    "action without action_id": json.dumps(
        {"type": "block_actions", "user": {"id": ADMIN}, "actions": [{"type": "button"}]}
    ),
    "not JSON at all": "{{{",
}


@pytest.mark.parametrize("payload", GARBLED_INTERACTIONS.values(), ids=GARBLED_INTERACTIONS.keys())
def test_garbled_signed_interactions_are_400(http_app: RunningHttpApp, payload: str) -> None:
    response = http_app.post_form({"payload": payload})
    assert response.status_code == 400


def test_garbled_slash_command_is_400(http_app: RunningHttpApp) -> None:
    assert http_app.post_form({"command": "/golocal", "text": "help"}).status_code == 400


def test_retried_slash_command_is_answered_once(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    command = slash_command(fake_slack_web.response_url("once"), "help")
    assert http_app.post_form(command).status_code == 200
    retry = http_app.post_form(command, headers={"X-Slack-Retry-Num": "1"})
    assert retry.status_code == 200
    other = slash_command(fake_slack_web.response_url("other"), "help")
    http_app.post_form({**other, "trigger_id": "1337.42.other"})
    calls = fake_slack_web.wait_for("response_url", 2)
    assert sorted(call.path for call in calls) == ["/response/once", "/response/other"]


def test_retried_button_press_is_handled_once(
    http_app: RunningHttpApp, fake_slack_web: FakeSlackWeb
) -> None:
    press = {
        "type": "block_actions",
        "user": {"id": ADMIN, "team_id": "T0000TEAM"},
        "team": {"id": "T0000TEAM"},
        "trigger_id": "1337.42.press",
        "actions": [{"action_id": "golocal_update_answers", "block_id": "b", "type": "button"}],
    }
    assert http_app.post_interaction(press).status_code == 200
    assert http_app.post_interaction(press).status_code == 200
    http_app.post_interaction({**press, "trigger_id": "1337.42.second"})
    opened = fake_slack_web.wait_for("views.open", 2)
    assert sorted(call.args["trigger_id"] for call in opened) == ["1337.42.press", "1337.42.second"]
