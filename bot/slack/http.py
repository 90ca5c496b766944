"""HTTP mode: Slack's signed requests on ``/slack/events``, served by uvicorn.

Bolt's ASGI adapter (``slack_bolt.adapter.asgi``) turns requests into Bolt requests; this
subclass adds what production needs around it:

* a body over 1 MiB is refused with 413 before it is read (by ``Content-Length``) or as
  soon as it grows past the limit (chunked): an unsigned sender cannot make the server
  hold a large body in memory. Slack's own payloads are a few kilobytes;
* the signature is checked before anything else (https://api.slack.com/authentication/verifying-requests-from-slack):
  a missing, stale (> 5 minutes) or wrong ``X-Slack-Signature`` is answered 401 and nothing
  runs;
* a signed body that is not a payload golocal can handle (:mod:`golocal.bot.slack.payloads`:
  not a JSON object, nested too deeply, fields missing or of the wrong type) is answered
  400 and logged — never a 500;
* the Bolt dispatch (which only acks; the answer runs in lazy listeners) runs in one of
  :data:`DISPATCH_THREADS` threads, so one request never blocks the event loop and a burst
  of requests does not queue behind a few threads waiting for their acks;
* ``GET /healthz`` answers ``{"ok": true}`` for load balancers and probes.

``url_verification`` and ``ssl_check`` are answered by Bolt itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.adapter.asgi.http_response import AsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from golocal.bot.slack.payloads import Garbled, parse_payload
from golocal.config.addresses import parse_host_port
from golocal.errors import UsageError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
#: The largest request body read (bytes); Slack's payloads are far smaller.
MAX_BODY_BYTES = 1024 * 1024
#: Threads that run Bolt's dispatch (each mostly waits for its listener's ack).
DISPATCH_THREADS = 64


class _TooLarge(Exception):
    pass


def _json_response(status: int, error: str) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=json.dumps({"error": error}),
        headers={"content-type": "application/json"},
    )


class GolocalRequestHandler(SlackRequestHandler):
    """Bolt's ASGI handler with signature-first checks, 400 for garbled bodies, and /healthz."""

    def __init__(self, app: App, signing_secret: str, path: str = EVENTS_PATH) -> None:
        super().__init__(app, path)
        self.verifier = SignatureVerifier(signing_secret)
        # Bolt's dispatch mostly *waits* for the listener's ack (it polls every 10 ms), so
        # many concurrent requests need many threads, not CPU: asyncio's default pool (CPU
        # count + 4) would queue a burst of slash commands behind a handful of waits.
        self._dispatchers = ThreadPoolExecutor(
            max_workers=DISPATCH_THREADS, thread_name_prefix="golocal-ack"
        )

    async def _get_http_response(
        self, method: str, path: str, request: AsgiHttpRequest
    ) -> AsgiHttpResponse:
        if path == HEALTH_PATH and method in {"GET", "HEAD"}:
            return AsgiHttpResponse(
                status=200,
                headers={"content-type": ["application/json"]},
                body=json.dumps({"ok": True}),
            )
        return await super()._get_http_response(method, path, request)

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        headers = request.get_headers()
        declared = _header(headers, "content-length")
        try:
            if declared is not None and int(declared) > MAX_BODY_BYTES:
                raise _TooLarge
            body = await _raw_body(request.receive, MAX_BODY_BYTES)
        except _TooLarge:
            log.warning("refused a request on %s: body over %d bytes", self.path, MAX_BODY_BYTES)
            return _json_response(413, "request body too large")
        except ValueError:  # a Content-Length that is not a number
            return _json_response(400, "bad content-length")
        timestamp = _header(headers, "x-slack-request-timestamp")
        signature = _header(headers, "x-slack-signature")
        try:
            valid = self.verifier.is_valid(body, timestamp, signature)
        except ValueError:  # a timestamp that is not a number
            valid = False
        if not valid:
            log.warning(
                "refused a request on %s: %s signature",
                self.path,
                "missing" if not (timestamp and signature) else "stale or wrong",
            )
            return _json_response(401, "invalid request")
        content_type = (_header(headers, "content-type") or "").split(";")[0].strip() or None
        try:
            text = body.decode("utf-8")
            parse_payload(text, content_type)
            bolt_request = BoltRequest(body=text, query=request.query_string, headers=headers)
        except (Garbled, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            log.warning("refused a garbled payload on %s: %s", self.path, exc)
            return _json_response(400, "garbled payload")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._dispatchers, self.app.dispatch, bolt_request)


def _header(headers: dict[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return value


async def _raw_body(receive: Callable[[], Any], limit: int) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.extend(message.get("body", b""))
        if len(chunks) > limit:
            raise _TooLarge
        if not message.get("more_body", False):
            break
    return bytes(chunks)


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:3000`` for IPv6) → ``(host, port)``.

    Raises:
        UsageError: not HOST:PORT, or a port outside 0–65535.
    """
    try:
        return parse_host_port(address)
    except ValueError:
        raise UsageError(f"--http wants HOST:PORT (e.g. 0.0.0.0:3000), got {address!r}") from None


def serve_http(
    app: App, signing_secret: str, host: str, port: int, *, log_level: str = "warning"
) -> None:
    """Serve ``app`` with uvicorn until interrupted."""
    import uvicorn

    handler = GolocalRequestHandler(app, signing_secret)
    uvicorn.run(handler, host=host, port=port, log_level=log_level, access_log=False, lifespan="on")
