"""Where scheduled posts go: Slack through ``slack_sdk.WebClient``, or the console.

:class:`SlackPoster` posts with the Web API (``chat.postMessage``, ``chat.update``, files
upload v2 for the chart). It retries what can succeed later — HTTP 429 honouring
``Retry-After``, 5xx, timeouts and dropped connections — with back-off, and fails at once
on errors only a configuration change can fix (:mod:`golocal.bot.delivery_errors`), with
one line saying how. It keeps to at most ``messages_per_second`` messages per channel, as
Slack's posting limit asks.

**Exactly once.** A 500 or a timeout does not prove Slack dropped the message: it may have
posted it and failed to answer. So a message with a ``key`` (every scheduled post) carries
it in Slack message metadata (https://api.slack.com/metadata/using: ``event_type``
``golocal_post``, ``event_payload.key``), and before each attempt — the first one too,
which covers a process that died between posting and recording — the poster looks for that
key in the channel's recent history (``conversations.history`` / ``conversations.replies``
with ``include_all_metadata``, https://api.slack.com/methods/conversations.history). Found,
it is not posted again.

:class:`ConsolePoster` prints the same messages, for console mode and ``--post``-less runs.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

# slack_sdk is imported where a Slack call is made: printing a digest or an alert on the
# console, and every command that never posts, start without it.
from golocal.bot.delivery_errors import DeliveryFailure, classify
from golocal.bot.render.mrkdwn import slack_text
from golocal.jobs import selfmetrics

log = logging.getLogger(__name__)

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
    #: What makes this post unique (e.g. ``digest:2026-W10``): posted at most once.
    key: str | None = None
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
    """Slack refused or failed a call; the message names the method and the reason.

    ``failure`` says whether retrying can help (:attr:`permanent`) and how to fix it.
    """

    def __init__(self, message: str, failure: DeliveryFailure | None = None) -> None:
        super().__init__(message)
        self.failure = failure

    @property
    def permanent(self) -> bool:
        return self.failure is not None and self.failure.permanent


def slack_failure(exc: Exception) -> str:
    """Why a Web API call failed: the HTTP status and Slack's error code, or the transport error.

    Only the status, the error code or the exception's own text: never the token.
    """
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError) and exc.response is not None:
        code = exc.response.get("error")
        return f"HTTP {exc.response.status_code}, {code or 'no error code'}"
    return f"{type(exc).__name__}: {exc}"


#: Slack message metadata type of golocal's scheduled posts.
METADATA_EVENT = "golocal_post"
#: How many recent messages are searched for a post's key.
HISTORY_LIMIT = 200


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
    """Posts through the Slack Web API, retrying transient failures, each keyed post once."""

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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from slack_sdk import WebClient

        # No retry handlers: every retry goes through _call, which knows when a retried
        # post must first be looked for in the channel.
        self.client = WebClient(
            token=token,
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=timeout,
            retry_handlers=[],
        )
        # only a digest of the token is kept, for fingerprint()
        self._identity = hashlib.sha256(f"{self.client.base_url}\n{token}".encode()).hexdigest()
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.sleep = sleep
        self.pacer = pacer or ChannelPacer(messages_per_second)

    def _call(
        self,
        method: str,
        channel: str,
        call: Callable[[], Any],
        kind: str,
        *,
        already_done: Callable[[], Any] | None = None,
    ) -> Any:
        """Run ``call`` with retries; before a retry, ``already_done`` may return its result.

        The outcome (after the retries) is counted in golocal's own metrics under ``kind``.
        """
        from slack_sdk.errors import SlackClientError

        for attempt in range(self.retries + 1):
            if already_done is not None:
                found = already_done()
                if found is not None:
                    selfmetrics.observe_slack_post(kind, ok=True)
                    return found
            self.pacer.wait(channel)
            try:
                result = call()
            except (SlackClientError, OSError) as exc:
                failure = classify(exc, channel)
            else:
                selfmetrics.observe_slack_post(kind, ok=True)
                return result
            if failure.permanent or attempt == self.retries:
                selfmetrics.observe_slack_post(kind, ok=False)
                raise PostError(f"Slack {method}: {failure.line}", failure) from None
            self.sleep(failure.retry_after or self.backoff_factor * 2**attempt)
        raise AssertionError("unreachable")

    def fingerprint(self, channel: str) -> str:
        """What a post to ``channel`` depends on (API URL, token, channel), as a digest.

        A channel Slack refused for a configuration reason is retried once this changes.
        """
        return hashlib.sha256(f"{self._identity}\n{channel}".encode()).hexdigest()[:32]

    def find_posted(self, channel: str, key: str, thread_ts: str | None = None) -> str | None:
        """The ``ts`` of the message tagged ``key`` among the channel's (or thread's) recent
        messages, or ``None``. A failed search is logged and counts as not found."""
        from slack_sdk.errors import SlackClientError

        try:
            if thread_ts:
                response = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=HISTORY_LIMIT
                )
            else:
                response = self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=HISTORY_LIMIT
                )
        except (SlackClientError, OSError) as exc:
            log.warning(
                "could not look for %s in %s before posting: %s",
                key,
                channel,
                classify(exc, channel).line,
            )
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_EVENT and payload.get("key") == key:
                return str(message.get("ts"))
        return None

    def post(self, message: Message) -> str | None:
        metadata = (
            {"event_type": METADATA_EVENT, "event_payload": {"key": message.key}}
            if message.key
            else None
        )

        def already_done() -> str | None:
            assert message.key is not None
            return self.find_posted(message.channel, message.key, message.thread_ts)

        response = self._call(
            "chat.postMessage",
            message.channel,
            lambda: self.client.chat_postMessage(
                channel=message.channel,
                text=slack_text(message.text),
                blocks=message.blocks,
                thread_ts=message.thread_ts,
                unfurl_links=False,
                metadata=metadata,
            ),
            message.kind,
            already_done=already_done if message.key else None,
        )
        return response if isinstance(response, str) else response.get("ts")

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
