"""A loopback fake of the Slack Web API methods golocal posts with.

Answers as Slack documents them (form- or JSON-encoded POSTs to ``/api/<method>``, a JSON
body with ``"ok"``):

* ``chat.postMessage`` — https://api.slack.com/methods/chat.postMessage (returns ``channel``,
  ``ts``, ``message``);
* ``chat.update`` — https://api.slack.com/methods/chat.update;
* ``files.getUploadURLExternal`` — https://api.slack.com/methods/files.getUploadURLExternal
  (``upload_url``, ``file_id``); the upload URL itself takes the raw bytes and answers 200;
* ``files.completeUploadExternal`` — https://api.slack.com/methods/files.completeUploadExternal
  (``files: [{id, title}]``).

``fail_next(method, status, count)`` makes the next calls answer an HTTP error (Slack's
5xx/429 behaviour) so retries can be tested.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class SlackRecord:
    """What the fake received, in order."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def of(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [params for name, params in self.calls if name == method]


class FakeSlack:
    """The running fake: ``base_url`` for ``WebClient(base_url=...)``, and what it saw."""

    def __init__(self) -> None:
        self.record = SlackRecord()
        record = self.record

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                path = self.path.split("?")[0]
                if path.startswith("/upload/"):
                    with record.lock:
                        record.uploads[path.rsplit("/", 1)[1]] = raw
                    self._reply(200, b"OK - %d" % len(raw))
                    return
                method = path.removeprefix("/api/")
                if self.headers.get("Authorization", "") != "Bearer xoxb-test":
                    self._reply(200, {"ok": False, "error": "invalid_auth"})
                    return
                with record.lock:
                    pending = record.failures.get(method) or []
                    status = pending.pop(0) if pending else None
                if status is not None:
                    headers = {"Retry-After": "0"} if status == 429 else None
                    self._reply(status, {"ok": False, "error": "fatal_error"}, headers)
                    return
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or b"{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                with record.lock:
                    record.calls.append((method, params))
                    record.counter += 1
                    number = record.counter
                self._reply(200, answer(method, params, number, self.server.server_address))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def fail_next(self, method: str, status: int, count: int = 1) -> None:
        with self.record.lock:
            self.record.failures.setdefault(method, []).extend([status] * count)

    def messages(self) -> list[dict[str, Any]]:
        return self.record.of("chat.postMessage")


def answer(method: str, params: dict[str, Any], number: int, address: Any) -> dict[str, Any]:
    """The documented success answer of ``method``."""
    ts = f"1700000000.{number:06d}"
    if method == "chat.postMessage":
        return {
            "ok": True,
            "channel": params.get("channel"),
            "ts": ts,
            "message": {"type": "message", "text": params.get("text"), "ts": ts},
        }
    if method == "chat.update":
        return {
            "ok": True,
            "channel": params.get("channel"),
            "ts": params.get("ts"),
            "text": params.get("text"),
        }
    if method == "files.getUploadURLExternal":
        file_id = f"F{number:08d}"
        host, port = address[:2]
        return {
            "ok": True,
            "upload_url": f"http://{host}:{port}/upload/{file_id}",
            "file_id": file_id,
        }
    if method == "files.completeUploadExternal":
        files = json.loads(params.get("files") or "[]")
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
    return {"ok": False, "error": "unknown_method"}


def running_fake_slack() -> Iterator[FakeSlack]:
    """Start a fake on 127.0.0.1, port 0; stop it afterwards (use as a fixture body)."""
    fake = FakeSlack()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
