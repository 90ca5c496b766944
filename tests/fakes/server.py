"""A small loopback HTTP server the provider fakes build on (127.0.0.1, port 0).

Each fake subclasses :class:`FakeApi` and answers ``handle``; the base records every
request (so tests can assert what was sent, and that no secret went where it must not) and
lets a test script faults: "after N good answers on this path, answer these instead".
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One HTTP answer."""

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Seen:
    """A request the fake received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def first(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


class FakeApi:
    """Base of the provider fakes: threading HTTP server, request log, scripted faults."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._faults: dict[str, tuple[list[int], deque[Reply]]] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                seen = Seen(
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                )
                reply = fake._dispatch(seen)
                body = reply.encoded()
                self.send_response(reply.status)
                headers = {"content-type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, path: str, *replies: Reply, after: int = 0) -> None:
        """After ``after`` normal answers on ``path``, answer ``replies`` in order."""
        with self._lock:
            self._faults[path] = ([after], deque(replies))

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def _dispatch(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            fault = self._faults.get(seen.path)
            if fault is not None:
                countdown, replies = fault
                if countdown[0] > 0:
                    countdown[0] -= 1
                elif replies:
                    return replies.popleft()
        try:
            return self.handle(seen)
        except BadRequest as exc:
            return self.bad_request(str(exc))

    def handle(self, seen: Seen) -> Reply:
        raise NotImplementedError

    def bad_request(self, message: str) -> Reply:
        return Reply(400, {"error": message})


class BadRequest(Exception):
    """A query the real API would refuse with 400."""


def int_param(seen: Seen, name: str, default: int | None, low: int, high: int) -> int:
    """A documented integer parameter with its bounds (400 outside them, as the API does)."""
    text = seen.first(name)
    if text is None:
        if default is None:
            raise BadRequest(f"{name} is required")
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return value
