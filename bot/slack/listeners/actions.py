"""Block actions: the App Home buttons (https://api.slack.com/reference/interaction-payloads/block-actions).

"Re-run the checklist" recomputes the dashboard after the ack; "Update our answers" opens the
checklist modal at once, because a ``trigger_id`` expires after 3 seconds.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from golocal.bot.services import Services
from golocal.bot.slack.answering import Answerer
from golocal.bot.slack.checklist_modal import open_checklist_modal
from golocal.bot.slack.home import RERUN_ACTION, UPDATE_ANSWERS_ACTION, publish_home


def register(app: App, services: Services, answerer: Answerer) -> None:
    """Register the App Home button listeners on ``app``."""

    def acknowledge(ack: Ack) -> None:
        ack()

    def rerun_checklist(body: dict[str, Any], client: WebClient) -> None:
        publish_home(client, answerer.home_view, body["user"]["id"])

    def update_answers(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        open_checklist_modal(
            client, services, body["trigger_id"], channel=None, user=body["user"]["id"]
        )

    app.action(RERUN_ACTION)(ack=acknowledge, lazy=[rerun_checklist])
    app.action(UPDATE_ANSWERS_ACTION)(update_answers)
