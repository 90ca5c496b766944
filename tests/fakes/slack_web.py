"""A fake Slack Web API on 127.0.0.1 (port 0) that records calls and checks payload shapes.

It answers the way Slack documents its methods — ``{"ok": true, ...}`` on success,
``{"ok": false, "error": "<code>"}`` otherwise, HTTP 429 with ``Retry-After`` when rate
limited — and rejects what Slack would reject:

* https://api.slack.com/web (request formats: form or JSON body, ``Authorization: Bearer``)
* https://api.slack.com/methods/auth.test
* https://api.slack.com/methods/chat.postMessage, chat.update, chat.postEphemeral
  (``invalid_blocks`` / ``too_many_blocks`` beyond 50 blocks)
* https://api.slack.com/methods/views.publish, views.open (100 blocks; a modal's title,
  submit and close at most 24 characters)
* https://api.slack.com/methods/files.getUploadURLExternal, files.completeUploadExternal
  (the ``upload_url`` it hands out takes the file's raw bytes and answers 200 ``OK - <size>``;
  the bytes are kept in :attr:`FakeSlackWeb.uploads` by file id)
* https://api.slack.com/methods/usergroups.users.list
* https://api.slack.com/methods/reactions.add, reactions.remove (``channel``, ``timestamp``,
  ``name``)
* https://api.slack.com/methods/apps.connections.open (needs an app-level ``xapp-`` token)
* https://api.slack.com/reference/block-kit/blocks (section text 3,000, header 150,
  10 fields of 2,000 characters)
* https://api.slack.com/apis/rate-limits (429 + ``Retry-After`` seconds)
* https://api.slack.com/interactivity/handling#message_responses (``response_url`` answers
  ``ok``)
* https://api.slack.com/metadata/using (``metadata`` on chat.postMessage: ``event_type`` and
  ``event_payload``, returned by conversations.history / conversations.replies only with
  ``include_all_metadata``)
* https://api.slack.com/methods/conversations.history (newest first, ``limit``) and
  https://api.slack.com/methods/conversations.replies (the parent first, then its replies)
* https://api.slack.com/web#evaluating_responses — errors such as ``not_in_channel``,
  ``channel_not_found``, ``invalid_auth``; ``missing_scope`` also says which scope was
  ``needed`` and which were ``provided`` (as python-slack-sdk's
  ``slack_sdk/web/base_client.py`` surfaces them in ``SlackApiError.response``)

Tests script failures with :meth:`FakeSlackWeb.fail_next` (e.g. a 500, or a 429 with
``Retry-After: 0``, then success), :meth:`FakeSlackWeb.fail_after_accept` (Slack posts the
message, then answers 500 — what a timeout or gateway error looks like from the client) and
drop what is left with :meth:`clear_failures`. Use it
through the ``fake_slack_web`` fixture (:func:`fake_slack_web`) or :func:`running_fake_slack_web`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.fakes.server import QUICK_SHUTDOWN, QuietHTTPServer
from tests.fakes.slack_history import conversation, store_message

BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0000TEAM"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


@dataclass
class Call:
    """One recorded Web API (or response_url) call."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    ok: bool = True
    path: str = ""
    #: the JSON body answered (``None`` for scripted failures and non-JSON answers)
    response: dict[str, Any] | None = None
    at: float = field(default_factory=time.monotonic)


def block_problems(blocks: Any, max_blocks: int) -> list[str]:
    """What Slack would reject in a ``blocks`` array (empty when valid)."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list):
        return ["blocks is not an array"]
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    for number, block in enumerate(blocks):
        kind = block.get("type")
        if kind is None:
            problems.append(f"block {number} has no type")
        if kind == "header" and len(block.get("text", {}).get("text", "")) > 150:
            problems.append(f"header {number} longer than 150")
        if kind == "section":
            text = block.get("text")
            fields = block.get("fields") or []
            if text is None and not fields:
                problems.append(f"section {number} has neither text nor fields")
            if text is not None and not (1 <= len(text.get("text", "")) <= 3000):
                problems.append(f"section {number} text not 1-3000 characters")
            if len(fields) > 10 or any(len(f.get("text", "")) > 2000 for f in fields):
                problems.append(f"section {number} fields beyond 10 x 2000")
        if kind == "context" and not (1 <= len(block.get("elements", [])) <= 10):
            problems.append(f"context {number} needs 1-10 elements")
        if kind == "input" and "element" not in block:
            problems.append(f"input {number} has no element")
    return problems


class FakeSlackWeb:
    """The server's state: recorded calls, scripted failures, the Socket Mode URL to hand out."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        #: methods whose next calls succeed but are answered with this HTTP status
        self.after_accept: dict[str, list[int]] = {}
        #: methods whose next call takes effect, then waits for :attr:`release` to answer
        self.holds: set[str] = set()
        self.held = threading.Event()
        self.release = threading.Event()
        #: messages in each channel as Slack stores them (oldest first), metadata included
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.socket_url = "ws://127.0.0.1:9/link"
        #: members of user groups, for usergroups.users.list
        self.usergroups: dict[str, list[str]] = {}
        #: bytes received at an upload URL, by file id
        self.uploads: dict[str, bytes] = {}
        self.lock = threading.Condition()
        self.server: ThreadingHTTPServer | None = None
        self._ts = 1_700_000_000
        self._files = 0

    @property
    def api_url(self) -> str:
        """The base URL to give slack_sdk (``GOLOCAL_SLACK_API_URL``)."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def response_url(self, name: str = "cmd") -> str:
        """A ``response_url`` that this server records under method ``response_url``."""
        return f"{self.base_url}/response/{name}"

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        error: str = "ratelimited",
        retry_after: int | None = 1,
        times: int = 1,
        **fields: str,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with a failure (``fields`` added)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self.lock:
            self.failures.setdefault(method, []).extend(
                [(status, {"ok": False, "error": error, **fields}, headers)] * times
            )

    def fail_after_accept(self, method: str, *, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` take effect, then are answered ``status``."""
        with self.lock:
            self.after_accept.setdefault(method, []).extend([status] * times)

    def hold_after_accept(self, method: str) -> None:
        """The next call of ``method`` takes effect, sets :attr:`held`, and answers only once
        :attr:`release` is set (a client killed meanwhile never hears back)."""
        with self.lock:
            self.holds.add(method)

    def clear_failures(self) -> None:
        """Forget the scripted failures not answered yet."""
        with self.lock:
            self.failures.clear()
            self.after_accept.clear()

    def posts_in(self, channel: str, key: str | None = None) -> list[dict[str, Any]]:
        """Messages stored in ``channel`` (with metadata key ``key``, if given)."""
        with self.lock:
            stored = list(self.history.get(channel, []))
        if key is None:
            return stored
        return [
            m
            for m in stored
            if (m.get("metadata") or {}).get("event_payload", {}).get("key") == key
        ]

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def succeeded(self, method: str) -> list[Call]:
        """The calls of ``method`` that Slack answered with ``"ok": true``."""
        return [call for call in self.calls_to(method) if call.status == 200 and call.ok]

    def messages(self) -> list[dict[str, Any]]:
        """The arguments of every message posted (``chat.postMessage`` that succeeded)."""
        return [call.args for call in self.succeeded("chat.postMessage")]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` successful calls of ``method`` were recorded."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                done = [c for c in self.calls if c.method == method and c.status == 200]
                if len(done) >= count:
                    return done
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} {method} call(s), got {len(done)}; "
                        f"calls: {[c.method for c in self.calls]}"
                    )
                self.lock.wait(left)

    # -- method implementations: (status, body) ------------------------------------------

    def handle(
        self, method: str, args: dict[str, Any], token: str | None, path: str = ""
    ) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            scripted = self.failures.get(method)
            if scripted:
                status, body, headers = scripted.pop(0)
                self._record(Call(method, args, token, status, False))
                return status, body, headers
        if method == "response_url":
            self._record(Call(method, args, token, path=path))
            return 200, "ok", {}
        if not token:
            return self._answer(method, args, token, {"ok": False, "error": "not_authed"})
        body = self._result(method, args, token)
        with self.lock:
            accepted = self.after_accept.get(method)
            status = accepted.pop(0) if accepted and body.get("ok") else None
            hold = method in self.holds and bool(body.get("ok"))
            self.holds.discard(method)
        if hold:
            self.held.set()
            self.release.wait(60)
        if status is not None:
            self._record(Call(method, args, token, status, False, response=body))
            return status, {"ok": False, "error": "internal_error"}, {}
        return self._answer(method, args, token, body)

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, body: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        self._record(Call(method, args, token, 200, bool(body.get("ok")), response=body))
        return 200, body, {}

    def _record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)
            self.lock.notify_all()

    def _store(self, method: str, args: dict[str, Any], ts: str) -> None:
        with self.lock:
            store_message(self.history, method, args, ts, BOT_USER_ID)

    def _conversation(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return conversation(self.history, method, args)

    def _result(self, method: str, args: dict[str, Any], token: str) -> dict[str, Any]:
        error = {"ok": False}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://golocal-test.slack.com/",
                "team": "Test",
                "user": "golocal",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "BBOT0001",
            }
        if method == "apps.connections.open":
            if not token.startswith("xapp-"):
                return {**error, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            if not args.get("channel"):
                return {**error, "error": "channel_not_found"}
            if method == "chat.update" and not args.get("ts"):
                return {**error, "error": "message_not_found"}
            if method == "chat.postEphemeral" and not args.get("user"):
                return {**error, "error": "user_not_in_channel"}
            if not args.get("text") and not args.get("blocks"):
                return {**error, "error": "no_text"}
            if "blocks" in args:
                problems = block_problems(args["blocks"], MAX_MESSAGE_BLOCKS)
                if problems:
                    return {**error, "error": "invalid_blocks", "errors": problems}
            with self.lock:
                self._ts += 1
                ts = args.get("ts") or f"{self._ts}.000100"
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            self._store(method, args, ts)
            return {
                "ok": True,
                "channel": args["channel"],
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts},
            }
        if method in {"views.publish", "views.open"}:
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            if method == "views.publish" and not args.get("user_id"):
                return {**error, "error": "invalid_arguments"}
            if method == "views.open" and not args.get("trigger_id"):
                return {**error, "error": "invalid_trigger_id"}
            expected = "home" if method == "views.publish" else "modal"
            if not isinstance(view, dict) or view.get("type") != expected:
                return {**error, "error": "invalid_arguments"}
            problems = block_problems(view.get("blocks", []), MAX_VIEW_BLOCKS)
            for part in ("title", "submit", "close"):
                if len((view.get(part) or {}).get("text", "")) > 24:
                    problems.append(f"{part} longer than 24")
            if problems:
                return {**error, "error": "invalid_arguments", "errors": problems}
            return {"ok": True, "view": {**view, "id": "V0000001"}}
        if method in {"reactions.add", "reactions.remove"}:
            if not args.get("channel") or not args.get("timestamp") or not args.get("name"):
                return {**error, "error": "invalid_arguments"}
            return {"ok": True}
        if method in {"conversations.history", "conversations.replies"}:
            return self._conversation(method, args)
        if method == "usergroups.users.list":
            if args.get("usergroup") not in self.usergroups:
                return {**error, "error": "no_such_subteam"}
            return {"ok": True, "users": self.usergroups[args["usergroup"]]}
        if method == "files.getUploadURLExternal":
            if not args.get("filename") or not str(args.get("length", "")).isdigit():
                return {**error, "error": "invalid_arguments"}
            self._files += 1
            return {
                "ok": True,
                "upload_url": f"{self.base_url}/upload/F{self._files:07d}",
                "file_id": f"F{self._files:07d}",
            }
        if method == "files.completeUploadExternal":
            files = args.get("files")
            files = json.loads(files) if isinstance(files, str) else files
            if not files:
                return {**error, "error": "invalid_arguments"}
            return {
                "ok": True,
                "files": [{"id": f["id"], "title": f.get("title", "")} for f in files],
            }
        return {**error, "error": "unknown_method"}


def _handler(fake: FakeSlackWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.startswith("/upload/"):
                with fake.lock:
                    fake.uploads[self.path.rsplit("/", 1)[1]] = raw
                fake._record(Call("upload", {"path": self.path, "bytes": len(raw)}, None))
                self._send(200, "OK - " + str(len(raw)), {})
                return
            if self.path.startswith("/response/"):
                method = "response_url"
            elif self.path.startswith("/api/"):
                method = self.path[len("/api/") :].split("?", 1)[0]
            else:
                self._send(404, {"ok": False, "error": "not_found"}, {})
                return
            content_type = self.headers.get("Content-Type", "")
            text = raw.decode("utf-8")
            if "json" in content_type:
                args = json.loads(text or "{}")
            else:
                args = dict(parse_qsl(text, keep_blank_values=True))
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip() or args.get("token") or None
            status, body, headers = fake.handle(method, args, token, self.path)
            self._send(status, body, headers)

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            ctype = "text/plain" if isinstance(body, str) else "application/json; charset=utf-8"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def running_fake_slack_web() -> Iterator[FakeSlackWeb]:
    """Start the fake on 127.0.0.1, port 0; stop it afterwards."""
    fake = FakeSlackWeb()
    server = QuietHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.server = server
    thread = threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_slack_web(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlackWeb]:
    """The fake Slack Web API; ``GOLOCAL_SLACK_API_URL`` and ``SLACK_BOT_TOKEN`` point at it."""
    with running_fake_slack_web() as fake:
        monkeypatch.setenv("GOLOCAL_SLACK_API_URL", fake.api_url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        yield fake
