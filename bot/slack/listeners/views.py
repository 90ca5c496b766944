"""View submissions: the checklist modal (https://api.slack.com/surfaces/modals#handling_submissions).

A submission is checked while Slack waits (errors go back on the fields with
``response_action: errors``); only configured admins may store answers.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from golocal.bot.services import Services
from golocal.bot.slack.answering import Answerer
from golocal.bot.slack.checklist_modal import CALLBACK_ID, handle_submission


def register(app: App, services: Services, answerer: Answerer) -> None:
    """Register the checklist modal's submission listener on ``app``."""

    def submit_checklist(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        handle_submission(ack, services, client, user=body["user"]["id"], view=view)

    app.view(CALLBACK_ID)(submit_checklist)
