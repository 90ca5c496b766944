"""Events API listeners: app mentions, direct messages, the App Home and Messages tabs.

Events are acknowledged first; the answer is computed in a lazy listener and posted with
chat.postMessage in the thread the question came from
(https://api.slack.com/events/app_mention, https://api.slack.com/events/message.im,
https://api.slack.com/events/app_home_opened).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from golocal.bot.services import Services
from golocal.bot.slack.answering import Answerer
from golocal.bot.slack.conversation import answer_in_conversation, post_reply, question_text
from golocal.bot.slack.feedback import TEXT_ONLY, reaction_while, welcome_once
from golocal.bot.slack.home import publish_home

log = logging.getLogger(__name__)


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, services: Services, answerer: Answerer) -> None:
    """Register the mention, DM and App Home listeners on ``app``."""

    greeted: set[str] = set()

    def converse(event: dict[str, Any], client: WebClient, key: tuple[str, ...]) -> Any:
        return answer_in_conversation(
            answerer.reply,
            services,
            answerer.conversations,
            key,
            question_text(event.get("text")),
            user=str(event.get("user") or ""),
            client=client,
        )

    def answer_mention(event: dict[str, Any], client: WebClient) -> None:
        thread = event.get("thread_ts") or event.get("ts")
        with reaction_while(client, event["channel"], event.get("ts")):
            reply = converse(event, client, ("thread", event["channel"], str(thread)))
            post_reply(client, event["channel"], reply, thread_ts=thread, user=event.get("user"))

    def answer_direct_message(event: dict[str, Any], client: WebClient) -> None:
        # Only people's own messages in the app's DM: no edits, joins or bot posts.
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        subtype = event.get("subtype")
        question = question_text(event.get("text"))
        if subtype not in {None, "file_share"}:
            return
        thread = event.get("thread_ts")
        key = ("dm", event["channel"], str(thread or ""))  # a DM is one conversation
        with reaction_while(client, event["channel"], event.get("ts")):
            only_a_file = subtype == "file_share" and not question
            reply = TEXT_ONLY if only_a_file else converse(event, client, key)
            post_reply(client, event["channel"], reply, thread_ts=thread, user=event.get("user"))

    def show_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") == "messages":
            if isinstance(event.get("channel"), str):
                welcome_once(client, event["channel"], greeted)
            return
        if event.get("tab", "home") != "home":
            return
        publish_home(client, answerer.home_view, event["user"])

    app.event("app_mention")(ack=_ack, lazy=[answer_mention])
    app.event("message")(ack=_ack, lazy=[answer_direct_message])
    app.event("app_home_opened")(ack=_ack, lazy=[show_home])
