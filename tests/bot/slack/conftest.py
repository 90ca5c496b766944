"""Fixtures for the Slack app: fake Slack servers, settings pointing at them, a running app."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn

from golocal.bot.services import Services
from golocal.bot.slack.app import create_app
from golocal.bot.slack.http import GolocalRequestHandler
from golocal.config.settings import Settings, load_settings
from golocal.db.database import Database
from tests.fakes.slack_web import BOT_USER_ID, FakeSlackWeb

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADMIN = "UADMIN001"
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def slack_settings(fake_slack_web: FakeSlackWeb, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    monkeypatch.setenv("GOLOCAL_SLACK__ADMINS", json.dumps([ADMIN]))
    return load_settings()


@pytest.fixture
def services(slack_settings: Settings, database: Database) -> Services:
    return Services(settings=slack_settings, database=database, clock=lambda: NOW)


def sign(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """Headers Slack sends with a request (https://api.slack.com/authentication/verifying-requests-from-slack)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{stamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def slash_command(response_url: str, text: str = "", user: str = "UUSER0001") -> dict[str, str]:
    """The fields of a ``/golocal`` slash command (https://api.slack.com/interactivity/slash-commands)."""
    return {
        "token": "unused",
        "team_id": "T0000TEAM",
        "channel_id": "C0000CHAN",
        "user_id": user,
        "command": "/golocal",
        "text": text,
        "response_url": response_url,
        "trigger_id": "1337.42.abcd",
    }


def app_mention(
    text: str, ts: str, *, channel: str = "C0000CHAN", thread_ts: str | None = None
) -> dict[str, object]:
    """An ``app_mention`` event asking ``text`` (https://api.slack.com/events/app_mention)."""
    mention: dict[str, object] = {
        "type": "app_mention",
        "user": "UUSER0001",
        "channel": channel,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
    }
    if thread_ts:
        mention["thread_ts"] = thread_ts
    return mention


def event_callback(inner: dict[str, object], event_id: str = "Ev0001") -> dict[str, object]:
    """An Events API envelope around ``inner`` (https://api.slack.com/apis/events-api)."""
    return {
        "token": "unused",
        "team_id": "T0000TEAM",
        "api_app_id": "A0000APP",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_700_000_000,
        "authorizations": [{"team_id": "T0000TEAM", "user_id": BOT_USER_ID, "is_bot": True}],
        "event": inner,
    }


@dataclass
class RunningHttpApp:
    """The app served by uvicorn on 127.0.0.1 and a client that signs its requests."""

    url: str
    client: httpx.Client

    def post_form(self, fields: dict[str, str], **extra: Any) -> httpx.Response:
        body = urlencode(fields)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(body),
            **extra.get("headers", {}),
        }
        return self.client.post(self.url + "/slack/events", content=body, headers=headers)

    def post_json(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        body = json.dumps(payload)
        all_headers = {"Content-Type": "application/json", **sign(body), **(headers or {})}
        return self.client.post(self.url + "/slack/events", content=body, headers=all_headers)

    def post_interaction(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post_form({"payload": json.dumps(payload)})


def serve_in_thread(asgi_app: Any) -> Iterator[str]:
    """Run ``asgi_app`` under uvicorn on 127.0.0.1 (port 0) in a thread; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(asgi_app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def http_app(services: Services, fake_slack_web: FakeSlackWeb) -> Iterator[RunningHttpApp]:
    """golocal's Slack app in HTTP mode, served like ``golocal run --http``."""
    app = create_app(services.settings, services, http_mode=True)
    handler = GolocalRequestHandler(app, SIGNING_SECRET)
    for url in serve_in_thread(handler):
        with httpx.Client(timeout=10) as client:
            yield RunningHttpApp(url, client)
