"""Answer a re-delivered event, command or interaction once, not twice.

Slack re-sends an Events API payload it did not see acknowledged in time, with the same
``event_id`` (HTTP: an ``X-Slack-Retry-Num`` header; Socket Mode: ``retry_attempt`` in the
envelope) — https://api.slack.com/apis/events-api#retries. Socket Mode re-delivers slash
commands and interactions the same way (https://api.slack.com/apis/socket-mode#acknowledge);
those carry no event id, but each invocation has its own ``trigger_id``
(https://api.slack.com/interactivity/handling#modal_responses). This global middleware
remembers the key of every delivery it let through for a window (``event_id``, or the
``trigger_id`` of a command or interaction) and acknowledges a repeat without running any
listener.

The memory is per process: replicas behind a load balancer each dedupe their own deliveries,
which is what Slack's retries need (a retry goes to whichever replica answers).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)


class RedeliveryFilter:
    """Remembers delivery keys for ``window_s`` seconds (at most ``max_keys`` of them)."""

    def __init__(
        self,
        window_s: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_delivery(self, key: str) -> bool:
        """True the first time ``key`` is seen within the window; False for a repeat."""
        now = self.clock()
        with self._lock:
            while self._seen:
                oldest, seen_at = next(iter(self._seen.items()))
                if now - seen_at < self.window_s and len(self._seen) < self.max_keys:
                    break
                del self._seen[oldest]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def middleware(self, body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """Bolt global middleware: acknowledge a repeated delivery and stop there."""
        key = delivery_key(body)
        if key is not None and not self.first_delivery(key):
            log.info(
                "%s re-delivered (retry %s): already answered",
                key,
                body.get("retry_attempt", "?"),
            )
            return BoltResponse(status=200, body="")
        next()
        return None


def delivery_key(body: dict[str, Any]) -> str | None:
    """What identifies one delivery: the event id, or a command's/interaction's trigger id."""
    if body.get("type") == "event_callback":
        event_id = body.get("event_id")
        return f"event {event_id}" if isinstance(event_id, str) else None
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        return None
    if "command" in body:
        return f"command {trigger} {body.get('user_id')}"
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    return f"{body.get('type', 'interaction')} {trigger} {user_id}"
