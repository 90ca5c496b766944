"""A small threaded HTTP server for GET routes: the agent's and ``golocal run``'s endpoints.

Both serve a handful of read-only paths (``/metrics`` and friends) to scrapers and probes,
so the standard library's threaded server is enough; each route returns its status, body
and content type, and an unknown path gets a 404 naming the known ones.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from golocal.config.addresses import parse_host_port

log = logging.getLogger(__name__)

#: A route's answer: HTTP status, body, content type.
Answer = tuple[int, bytes, str]


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9835`` for IPv6) → (host, port); raises ``ValueError``."""
    return parse_host_port(text, default_host="127.0.0.1")


def make_route_server(
    routes: Mapping[str, Callable[[], Answer]], host: str, port: int, *, name: str
) -> ThreadingHTTPServer:
    """A server (not yet serving) that answers GET on ``routes``; port 0 picks a free one."""
    known = ", ".join(sorted(routes))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            log.debug(name + ": " + format, *args)

        def do_GET(self) -> None:
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                self.send_error(404, f"try {known}")
                return
            status, body, content_type = route()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class: type[ThreadingHTTPServer] = type(
        f"{name.title()}Server",
        (_RouteServer,),
        {"address_family": family, "daemon_threads": True},
    )
    return server_class((host, port), Handler)


class _RouteServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # a scraper that hung up mid-answer is routine: a debug line, not a traceback on stderr
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            log.debug("%s hung up: %s", client_address, error)
            return
        super().handle_error(request, client_address)
