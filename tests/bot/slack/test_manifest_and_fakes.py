"""The shipped manifest matches what the app listens to; the fake Web API enforces limits."""

from __future__ import annotations

import re
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from golocal.bot.slack.listeners.commands import COMMAND
from tests.fakes.slack_web import FakeSlackWeb

MANIFEST = Path(__file__).resolve().parents[3] / "config" / "slack-manifest.yaml"


def _list_after(text: str, key: str) -> list[str]:
    """The ``- item`` lines of the YAML list under ``key:`` (comments skipped)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"{key}:")
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip())
    items = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if not stripped.startswith("- ") or len(line) - len(line.lstrip()) != indent:
            break
        items.append(stripped[2:].strip())
    return items


def test_manifest_has_exactly_the_scopes_and_events_used() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert _list_after(text, "bot") == [
        "commands",
        "app_mentions:read",
        "chat:write",
        "im:history",
        "files:write",
        "usergroups:read",
        "channels:history",
        "groups:history",
        "reactions:write",
    ]
    assert _list_after(text, "bot_events") == ["app_mention", "app_home_opened", "message.im"]
    assert re.search(rf"- command: {re.escape(COMMAND)}\n", text)
    assert "socket_mode_enabled: true" in text
    assert "home_tab_enabled: true" in text


def test_fake_rejects_what_slack_rejects(fake_slack_web: FakeSlackWeb) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack_web.api_url)
    too_many = [{"type": "divider"}] * 51
    for method, kwargs in (
        ("chat_postMessage", {"channel": "C1", "text": "x", "blocks": too_many}),
        (
            "chat_postMessage",
            {
                "channel": "C1",
                "text": "x",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            },
        ),
        ("chat_update", {"channel": "C1", "ts": "", "text": "x"}),
        ("views_publish", {"user_id": "U1", "view": {"type": "modal", "blocks": []}}),
    ):
        try:
            getattr(client, method)(**kwargs)
        except SlackApiError as exc:
            assert exc.response["ok"] is False
        else:
            raise AssertionError(f"{method} {kwargs} was accepted")
    updated = client.chat_update(channel="C1", ts="1700000000.000100", text="y")
    assert updated["ok"] and updated["ts"] == "1700000000.000100"
