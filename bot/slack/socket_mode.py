"""Socket Mode: a WebSocket to Slack instead of a public URL (https://api.slack.com/apis/socket-mode).

slack_sdk's built-in Socket Mode client opens the connection with ``apps.connections.open``
(the app-level token), acknowledges each envelope with the Bolt app's response, and
reconnects on its own. Slack re-delivers an envelope it did not see acknowledged; the app's
redelivery filter answers it once.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from golocal.config.settings import Settings
from golocal.errors import GolocalError


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """A Socket Mode handler for ``app`` using ``SLACK_APP_TOKEN`` (``xapp-…``).

    Raises:
        GolocalError: ``SLACK_APP_TOKEN`` is not set.
    """
    if settings.slack_app_token is None:
        raise GolocalError("SLACK_APP_TOKEN is not set: Socket Mode needs the app-level token")
    return SocketModeHandler(
        app,
        app_token=settings.slack_app_token.get_secret_value(),
        web_client=app.client,
    )
