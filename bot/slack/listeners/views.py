"""View submissions: the checklist modal (https://api.slack.com/surfaces/modals#handling_submissions).

A submission is checked while Slack waits (errors go back on the fields with
``response_action: errors``); only configured admins may store answers. Storing happens after
the ack; a modal opened from the App Home then refreshes the Home with the outcome on top.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from golocal.bot.services import Services
from golocal.bot.slack.answering import Answerer
from golocal.bot.slack.checklist_modal import CALLBACK_ID, handle_submission, origin_channel
from golocal.bot.slack.home import home_view, publish_home


def register(app: App, services: Services, answerer: Answerer) -> None:
    """Register the checklist modal's submission listener on ``app``."""

    def submit_checklist(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = body["user"]["id"]
        outcome = handle_submission(ack, services, client, user=user, view=view)
        if outcome is not None and origin_channel(view) is None:
            # opened from the App Home: refresh it, with the outcome on top
            publish_home(client, lambda: home_view(services, notice=outcome), user)

    app.view(CALLBACK_ID)(submit_checklist)
