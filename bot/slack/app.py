"""The Slack app factory: a Bolt app with golocal's listeners, built on request, never at import.

The Web API client gets slack_sdk's retry handlers — HTTP 429 with ``Retry-After``
(https://api.slack.com/apis/rate-limits), 500/503 and connection errors with exponential
back-off — so a chat answer survives a transient Slack failure, and ``settings.slack_api_url``
(``GOLOCAL_SLACK_API_URL``) as its base URL so tests and proxies can stand in for Slack.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http.client import RemoteDisconnected
from urllib.error import URLError

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from golocal.bot.posting import slack_failure
from golocal.bot.services import Services
from golocal.bot.slack.answering import Answerer
from golocal.bot.slack.dedup import RedeliveryFilter
from golocal.bot.slack.listeners import register_all
from golocal.bot.slack.payloads import refuse_garbled
from golocal.bot.slack.trust import TrustFilter
from golocal.config.settings import Settings
from golocal.errors import GolocalError
from golocal.jobs import selfmetrics

log = logging.getLogger(__name__)
#: Bolt's own log records go here (under golocal's logging configuration).
bolt_log = logging.getLogger("golocal.slack.bolt")


#: 0.5 s, 1 s, 2 s between retries of a failed call.
_BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.5)


class _ClientGivenFilter(logging.Filter):
    """Drops Bolt's notice that SLACK_BOT_TOKEN is unused: our client carries that token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client for ``settings.slack_api_url`` that retries 429s and dropped connections."""
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    base_url = (
        settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else (settings.slack_api_url + "/")
    )
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(
                max_retry_count=2,
                interval_calculator=_BACKOFF,
                # slack_sdk's defaults plus a read timeout: Slack that does not answer in time
                error_types=[URLError, ConnectionResetError, RemoteDisconnected, TimeoutError],
            ),
            ServerErrorRetryHandler(max_retry_count=3, interval_calculator=_BACKOFF),
        ],
    )


def _time_ack(next: Callable[[], None]) -> None:
    """Bolt global middleware: how long the request took to be acknowledged.

    The ack listeners run inside ``next()``; the answers run after it, in lazy listeners.
    """
    started = time.monotonic()
    try:
        next()
    finally:
        selfmetrics.observe_ack(time.monotonic() - started)


def create_app(
    settings: Settings,
    services: Services,
    *,
    client: WebClient | None = None,
    http_mode: bool = False,
    answerer: Answerer | None = None,
) -> App:
    """Build the Bolt app with every listener registered.

    Args:
        settings: needs ``SLACK_BOT_TOKEN``; HTTP mode also ``SLACK_SIGNING_SECRET``.
        services: what the chat handlers need.
        client: a ready Web API client (default: :func:`web_client`).
        http_mode: verify request signatures (HTTP); Socket Mode needs none.
        answerer: where slow work runs (default: threads of this process).

    Raises:
        GolocalError: a token or secret the mode needs is missing, or Slack rejects the token.
    """
    if settings.slack_bot_token is None:
        raise GolocalError("SLACK_BOT_TOKEN is not set: the Slack app needs the bot token")
    if http_mode and settings.slack_signing_secret is None:
        raise GolocalError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode must verify Slack's signatures"
        )
    client = client or web_client(settings)
    signing_secret = (
        settings.slack_signing_secret.get_secret_value()
        if http_mode and settings.slack_signing_secret is not None
        else None
    )
    if not any(isinstance(f, _ClientGivenFilter) for f in bolt_log.filters):
        bolt_log.addFilter(_ClientGivenFilter())
    try:
        app = App(
            client=client,
            logger=bolt_log,
            signing_secret=signing_secret,
            request_verification_enabled=http_mode,
            # Lazy listeners answer after the ack; Bolt's own runner threads them.
            process_before_response=False,
            # Slack's own error text, e.g. invalid_auth, without the token.
            raise_error_for_unhandled_request=False,
        )
    except Exception as exc:  # Bolt calls auth.test here; report why, never the token
        raise GolocalError(f"cannot start the Slack app: {slack_failure(exc)}") from None
    app.use(_time_ack)
    redelivery = RedeliveryFilter(settings.slack.redelivery_window_s)
    app.use(refuse_garbled)
    app.use(TrustFilter(allow_external=settings.slack.allow_external).middleware)
    app.use(redelivery.middleware)
    register_all(app, services, answerer)
    return app
