"""A scripted HTTP server on 127.0.0.1 (port 0) for the fakes of local telemetry sources.

Each path answers from a script: responses are used in order and the last one repeats, so
a test can say "a 503 timeout, then success" or "down for one scrape". A response can also
be a callable of the request (method, path, query/form parameters).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Response:
    """One scripted answer."""

    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/plain; version=0.0.4; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    #: close the connection without answering (a server that died mid-scrape)
    drop: bool = False


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(status=status, body=json.dumps(payload), content_type="application/json")


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, list[str]]


Script = Response | Callable[[Request], Response]


class LoopbackServer:
    """A real HTTP server in a thread; ``script(path, ...)`` sets what a path answers."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Script]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                params = parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    for key, values in parse_qs(self.rfile.read(length).decode()).items():
                        params.setdefault(key, []).extend(values)
                request = Request(method, parts.path, params)
                response = server.next_response(request)
                if response.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = response.body.encode() if isinstance(response.body, str) else response.body
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, path: str, *responses: Script) -> None:
        with self.lock:
            self.scripts[path] = list(responses)

    def next_response(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request)
            script = self.scripts.get(request.path)
            if not script:
                return Response(status=404, body="404 page not found")
            item = script.pop(0) if len(script) > 1 else script[0]
        return item(request) if callable(item) else item

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve() -> Iterator[LoopbackServer]:
    """Fixture body: a started server, stopped afterwards."""
    with LoopbackServer() as server:
        yield server
