"""Where scheduled posts go: Slack through ``slack_sdk.WebClient``, or the console.

:class:`SlackPoster` posts with the Web API (``chat.postMessage``, ``chat.update``, files
upload v2 for the chart) and retries what Slack asks to be retried: HTTP 429 honouring
``Retry-After``, 500/503 with back-off, and connection errors. It also keeps to at most
``messages_per_second`` messages per channel, as Slack's posting limit asks.

:class:`ConsolePoster` prints the same messages, for console mode and ``--post``-less runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

# slack_sdk is imported where a Slack call is made: printing a digest or an alert on the
# console, and every command that never posts, start without it.
from golocal.bot.render.mrkdwn import slack_text
from golocal.jobs import selfmetrics

CONSOLE_CHANNEL = "console"


@dataclass(frozen=True, slots=True)
class Message:
    """A message for a channel (a reply in a thread when ``thread_ts`` is set).

    ``text`` is raw: :class:`SlackPoster` escapes it and cuts it under Slack's 4,000
    characters; ``blocks`` come from the block builders, which escape their text.
    """

    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    #: what it is, for golocal's own metrics: ``digest``, ``alert``, ``answer`` or ``message``
    kind: str = "message"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file for a channel (in a thread when ``thread_ts`` is set)."""

    channel: str
    filename: str
    content: bytes
    title: str
    thread_ts: str | None = None


class Poster(Protocol):
    """Something that can post, update, and attach a file to a message."""

    def post(self, message: Message) -> str | None:
        """Post a message; returns its ``ts`` (``None`` where there is none)."""

    def update(self, ts: str, message: Message) -> None:
        """Replace the text/blocks of the message ``ts`` in ``message.channel``."""

    def upload(self, attachment: Attachment) -> None:
        """Attach a file to a channel (in a thread, if given)."""


class PostError(Exception):
    """Slack refused or failed a call; the message names the method, status and error code."""


def slack_failure(exc: Exception) -> str:
    """Why a Web API call failed: the HTTP status and Slack's error code, or the transport error.

    Only the status, the error code or the exception's own text: never the token.
    """
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError) and exc.response is not None:
        code = exc.response.get("error")
        return f"HTTP {exc.response.status_code}, {code or 'no error code'}"
    return f"{type(exc).__name__}: {exc}"


def _slack_call(method: str, call: Callable[[], Any]) -> Any:
    """Run a Web API call, turning Slack's errors into a short :class:`PostError`."""
    from slack_sdk.errors import SlackClientError

    try:
        return call()
    except (SlackClientError, OSError) as exc:
        raise PostError(f"Slack {method}: {slack_failure(exc)}") from None


class ChannelPacer:
    """At most ``rate`` messages per second per channel (sleeps the difference)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        with self._lock:
            last = self._last.get(channel)
            now = self.clock()
            if last is not None and now - last < self.interval:
                self.sleep(self.interval - (now - last))
                now = self.clock()
            self._last[channel] = now


class SlackPoster:
    """Posts through the Slack Web API."""

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        messages_per_second: float = 1.0,
        retries: int = 3,
        backoff_factor: float = 0.5,
        pacer: ChannelPacer | None = None,
        timeout: int = 30,
    ) -> None:
        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import (
            ConnectionErrorRetryHandler,
            RateLimitErrorRetryHandler,
            ServerErrorRetryHandler,
        )
        from slack_sdk.http_retry.builtin_interval_calculators import (
            BackoffRetryIntervalCalculator,
        )

        interval = BackoffRetryIntervalCalculator(backoff_factor=backoff_factor)
        self.client = WebClient(
            token=token,
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=timeout,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
                RateLimitErrorRetryHandler(max_retry_count=retries),
                ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
            ],
        )
        self.pacer = pacer or ChannelPacer(messages_per_second)

    def _call(self, method: str, channel: str, call: Callable[[], Any], kind: str) -> Any:
        self.pacer.wait(channel)
        try:
            result = _slack_call(method, call)
        except PostError:
            selfmetrics.observe_slack_post(kind, ok=False)
            raise
        selfmetrics.observe_slack_post(kind, ok=True)
        return result

    def post(self, message: Message) -> str | None:
        response = self._call(
            "chat.postMessage",
            message.channel,
            lambda: self.client.chat_postMessage(
                channel=message.channel,
                text=slack_text(message.text),
                blocks=message.blocks,
                thread_ts=message.thread_ts,
                unfurl_links=False,
            ),
            message.kind,
        )
        return response.get("ts")

    def update(self, ts: str, message: Message) -> None:
        self._call(
            "chat.update",
            message.channel,
            lambda: self.client.chat_update(
                channel=message.channel, ts=ts, text=slack_text(message.text), blocks=message.blocks
            ),
            "update",
        )

    def upload(self, attachment: Attachment) -> None:
        self._call(
            "files upload",
            attachment.channel,
            lambda: self.client.files_upload_v2(
                channel=attachment.channel,
                filename=attachment.filename,
                content=attachment.content,
                title=attachment.title,
                thread_ts=attachment.thread_ts,
            ),
            "upload",
        )


class ConsolePoster:
    """Prints what would be posted (console mode)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._count = 0
        self._lock = threading.Lock()

    def post(self, message: Message) -> str | None:
        with self._lock:
            self._count += 1
            prefix = "  ↳ " if message.thread_ts else ""
            self.stream.write(f"\n{prefix}{message.text}\n")
            self.stream.flush()
            return f"console.{self._count}"

    def update(self, ts: str, message: Message) -> None:
        """Console messages cannot change once printed; thread replies say what changed."""

    def upload(self, attachment: Attachment) -> None:
        with self._lock:
            what = f"{attachment.filename}, {len(attachment.content):,} bytes not shown"
            self.stream.write(f"[{attachment.title}: {what}]\n")
            self.stream.flush()
