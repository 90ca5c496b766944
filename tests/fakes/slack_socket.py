"""A fake Socket Mode server: a WebSocket on 127.0.0.1 that sends envelopes and collects acks.

As Slack documents Socket Mode (https://api.slack.com/apis/socket-mode): the app gets a
``wss://`` URL from ``apps.connections.open``, the server greets with
``{"type": "hello", ...}``, then sends envelopes ``{"envelope_id", "type":
"events_api" | "slash_commands" | "interactive", "payload", "accepts_response_payload",
"retry_attempt", "retry_reason"}``; the app acknowledges each with
``{"envelope_id": ..., "payload": ...}``. An envelope not acknowledged is re-delivered with a
higher ``retry_attempt`` (https://api.slack.com/apis/socket-mode#acknowledge).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve


class FakeSocketMode:
    """The server's state: the connected app, envelopes sent, acks received."""

    def __init__(self) -> None:
        self.server: Server | None = None
        self.connection: ServerConnection | None = None
        self.acks: dict[str, dict[str, Any]] = {}
        self.connected = threading.Event()
        self.cond = threading.Condition()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link/?ticket=test"

    def _serve(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0000APP"},
                }
            )
        )
        self.connection = connection
        self.connected.set()
        try:
            for message in connection:
                data = json.loads(message)
                if "envelope_id" in data:
                    with self.cond:
                        self.acks[data["envelope_id"]] = data
                        self.cond.notify_all()
        except Exception:  # noqa: S110 - the client went away; the test decides what that means
            pass

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
    ) -> str:
        """Send one envelope; returns its id."""
        assert self.connected.wait(10), "the app never connected"
        assert self.connection is not None
        envelope_id = envelope_id or uuid.uuid4().hex
        self.connection.send(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "payload": payload,
                    "accepts_response_payload": kind != "events_api",
                    "retry_attempt": retry_attempt,
                    "retry_reason": "timeout" if retry_attempt else "",
                }
            )
        )
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The app's ack of ``envelope_id`` (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while envelope_id not in self.acks:
                left = deadline - time.monotonic()
                assert left > 0, f"envelope {envelope_id} was not acknowledged"
                self.cond.wait(left)
            return self.acks[envelope_id]


@contextmanager
def running_fake_socket_mode() -> Iterator[FakeSocketMode]:
    """Start the fake on 127.0.0.1, port 0; stop it afterwards."""
    fake = FakeSocketMode()
    server = serve(fake._serve, "127.0.0.1", 0)
    fake.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(5)
