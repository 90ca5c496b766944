"""The loopback HTTP server every fake of an external service builds on (127.0.0.1, port 0).

A real ``ThreadingHTTPServer`` in a thread that records every request (so tests can assert
what was sent, and that no secret went where it must not) and answers in one of two ways:

* a provider fake subclasses :class:`LoopbackServer` and overrides :meth:`~LoopbackServer.
  handle` (the cloud APIs, which compute their pages from the query);
* a test scripts a path with :meth:`~LoopbackServer.script`: replies are used in order and
  the last one repeats ("a 503, then success", "down for one scrape"); a reply can also be
  a callable of the request.

On top of either, :meth:`~LoopbackServer.fail` injects faults: "after N good answers on
this path, answer these instead".
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JSON = "application/json"
#: what Prometheus exporters (vLLM, llama.cpp, dcgm-exporter) answer ``/metrics`` with
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
#: ``serve_forever`` arguments that let ``shutdown()`` return in 10 ms instead of the
#: default poll's 0.5 s (paid by every test that starts a fake)
QUICK_SHUTDOWN = {"poll_interval": 0.01}


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading server that does not print a client hanging up as an error.

    A test that times out leaves the fake writing to a closed socket. Printed from a
    handler thread that outlives its test, the traceback would land in whatever the next
    test captures (a CLI's ``--json`` output, say).
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipe, ConnectionReset
            return
        super().handle_error(request, client_address)


@dataclass
class Reply:
    """One HTTP answer; a ``dict``/``list`` body is sent as JSON.

    ``content_type`` ``None`` means JSON for a ``dict``/``list`` body and the server's
    default otherwise. ``drop`` closes the connection without answering (a server that died
    mid-request).
    """

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    drop: bool = False

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def json_reply(payload: Any, status: int = 200) -> Reply:
    """A JSON answer."""
    return Reply(status=status, body=payload, content_type=JSON)


@dataclass
class Request:
    """A request the server received."""

    method: str
    path: str
    #: the URL's query parameters
    query: dict[str, list[str]]
    headers: dict[str, str]
    #: the query and, for a form POST, the form fields
    params: dict[str, list[str]]

    def first(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


Script = Reply | Callable[[Request], Reply]


class LoopbackServer:
    """A threading HTTP server on 127.0.0.1 with a request log, scripts and faults."""

    def __init__(self, *, default_content_type: str = JSON) -> None:
        self.requests: list[Request] = []
        self.default_content_type = default_content_type
        self._scripts: dict[str, list[Script]] = {}
        self._faults: dict[str, tuple[list[int], deque[Reply]]] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                params = {name: list(values) for name, values in query.items()}
                length = int(self.headers.get("content-length") or 0)
                if length:
                    for name, values in parse_qs(self.rfile.read(length).decode()).items():
                        params.setdefault(name, []).extend(values)
                request = Request(
                    method=method,
                    path=parts.path,
                    query=query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    params=params,
                )
                reply = server._dispatch(request)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = reply.encoded()
                if any(name.lower() == "date" for name in reply.headers):
                    # the reply sets its own Date (a provider whose clock differs from ours)
                    self.log_request(reply.status)
                    self.send_response_only(reply.status)
                else:
                    self.send_response(reply.status)
                headers = {"content-type": server._content_type(reply)}
                headers.update({k.lower(): v for k, v in reply.headers.items()})
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, path: str, *replies: Script) -> None:
        """Answer ``path`` with ``replies`` in order, repeating the last one."""
        with self._lock:
            self._scripts[path] = list(replies)

    def fail(self, path: str, *replies: Reply, after: int = 0) -> None:
        """After ``after`` normal answers on ``path``, answer ``replies`` in order."""
        with self._lock:
            self._faults[path] = ([after], deque(replies))

    def requests_to(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def handle(self, request: Request) -> Reply:
        """The normal answer: the path's script (404 when it has none)."""
        with self._lock:
            script = self._scripts.get(request.path)
            if not script:
                return Reply(404, "404 page not found", content_type="text/plain")
            item = script.pop(0) if len(script) > 1 else script[0]
        return item(request) if callable(item) else item

    def bad_request(self, message: str) -> Reply:
        return Reply(400, {"error": message})

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            fault = self._faults.get(request.path)
            if fault is not None:
                countdown, replies = fault
                if countdown[0] > 0:
                    countdown[0] -= 1
                elif replies:
                    return replies.popleft()
        try:
            return self.handle(request)
        except BadRequest as exc:
            return self.bad_request(str(exc))

    def _content_type(self, reply: Reply) -> str:
        if reply.content_type is not None:
            return reply.content_type
        return JSON if isinstance(reply.body, dict | list) else self.default_content_type


class BadRequest(Exception):
    """A query the real API would refuse with 400."""


def int_param(request: Request, name: str, default: int | None, low: int, high: int) -> int:
    """A documented integer parameter with its bounds (400 outside them, as the API does)."""
    text = request.first(name)
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
