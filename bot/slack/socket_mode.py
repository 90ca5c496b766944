"""Socket Mode: a WebSocket to Slack instead of a public URL (https://api.slack.com/apis/socket-mode).

slack_sdk's built-in Socket Mode client opens the connection with ``apps.connections.open``
(the app-level token), acknowledges each envelope with the Bolt app's response, and
reconnects on its own. Slack re-delivers an envelope it did not see acknowledged; the app's
redelivery filter answers it once. An envelope whose payload golocal cannot handle
(:mod:`golocal.bot.slack.payloads`) is acknowledged — so Slack does not send it again — and
logged, and nothing runs for it.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from golocal.bot.slack.payloads import payload_problem
from golocal.config.settings import Settings
from golocal.errors import GolocalError

log = logging.getLogger(__name__)


class GolocalSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler that acknowledges and drops garbled envelopes."""

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        problem = payload_problem(req.payload)
        if problem is not None:
            log.warning("refused a garbled %s envelope: %s", req.type, problem)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)


def socket_mode_handler(app: App, settings: Settings) -> GolocalSocketModeHandler:
    """A Socket Mode handler for ``app`` using ``SLACK_APP_TOKEN`` (``xapp-…``).

    Raises:
        GolocalError: ``SLACK_APP_TOKEN`` is not set.
    """
    if settings.slack_app_token is None:
        raise GolocalError("SLACK_APP_TOKEN is not set: Socket Mode needs the app-level token")
    return GolocalSocketModeHandler(
        app,
        app_token=settings.slack_app_token.get_secret_value(),
        web_client=app.client,
    )
