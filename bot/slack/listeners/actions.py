"""Block actions (https://api.slack.com/reference/interaction-payloads/block-actions): the App
Home buttons and the "Did you mean …?" buttons of a chat reply.

"Re-run the checklist" recomputes the dashboard after the ack; "Update our answers" opens the
checklist modal at once, because a ``trigger_id`` expires after 3 seconds.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from golocal.bot.chat import Asked, remember
from golocal.bot.render.blocks import DID_YOU_MEAN_ACTION
from golocal.bot.services import Actor, Services
from golocal.bot.slack.answering import Answerer
from golocal.bot.slack.checklist_modal import open_checklist_modal
from golocal.bot.slack.conversation import post_reply
from golocal.bot.slack.home import RERUN_ACTION, UPDATE_ANSWERS_ACTION, publish_home

log = logging.getLogger(__name__)


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

    def answer_choice(body: dict[str, Any], client: WebClient) -> None:
        """A "Did you mean …?" button: answer the question as the chosen intent, in place."""
        action = (body.get("actions") or [{}])[0]
        try:
            choice = json.loads(action.get("value") or "{}")
            intent, question = str(choice["intent"]), str(choice["question"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a did-you-mean button with an unreadable value")
            return
        user = str((body.get("user") or {}).get("id") or "")
        channel = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        asked = Asked(question, intent=intent, actor=Actor(user, "slack", False))
        reply = answerer.reply(asked)
        if channel:
            thread = message.get("thread_ts") or message.get("ts")
            post_reply(client, channel, reply, thread_ts=thread)
            if thread:
                remember(answerer.conversations, ("thread", channel, str(thread)), asked, reply)

    app.action(RERUN_ACTION)(ack=acknowledge, lazy=[rerun_checklist])
    app.action(re.compile(f"^{DID_YOU_MEAN_ACTION}_\\d+$"))(ack=acknowledge, lazy=[answer_choice])
    app.action(UPDATE_ANSWERS_ACTION)(update_answers)
