"""The ``/golocal <question>`` slash command (https://api.slack.com/interactivity/slash-commands).

The ack goes back at once (Slack waits 3 seconds); the answer is computed afterwards in a lazy
listener and sent through the command's ``response_url``. Answers are ephemeral — only the
asker sees them — with a "Share in channel" button (:mod:`golocal.bot.slack.listeners.actions`);
an answer that takes over a second shows "Answering…" first, replaced in place. An empty
question answers the help. ``/golocal update our answers`` opens the checklist modal for admins.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from golocal.bot.services import Services
from golocal.bot.slack.answering import Answerer
from golocal.bot.slack.checklist_modal import ONLY_ADMINS, is_admin, open_checklist_modal
from golocal.bot.slack.conversation import answer_in_conversation, question_text, respond_reply
from golocal.bot.slack.feedback import ANSWERING, loading

COMMAND = "/golocal"
_ANSWERS = re.compile(r"^(update|change|edit|set)?\s*(our\s+)?(checklist\s+)?answers$", re.I)


def _wants_answers_modal(text: str) -> bool:
    return bool(_ANSWERS.match(text))


def register(app: App, services: Services, answerer: Answerer) -> None:
    """Register ``/golocal`` on ``app``."""

    def acknowledge(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        if not _wants_answers_modal(question_text(command.get("text"))):
            ack()
            return
        user = command.get("user_id", "")
        if not is_admin(services.settings, user, client):
            ack(text=ONLY_ADMINS, response_type="ephemeral")
            return
        ack()
        # trigger_id is valid for 3 seconds: the modal opens here, not in the lazy listener.
        open_checklist_modal(
            client, services, command["trigger_id"], channel=command.get("channel_id"), user=user
        )

    def answer_command(command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        question = question_text(command.get("text"))
        if _wants_answers_modal(question):
            return
        # a user's slash commands in one channel are one conversation
        key = ("command", str(command.get("channel_id")), str(command.get("user_id")))
        with loading(
            lambda: respond(text=ANSWERING, response_type="ephemeral"),
            lambda: None,  # the answer replaces it
        ) as shown:
            reply = answer_in_conversation(
                answerer.reply,
                services,
                answerer.conversations,
                key,
                question,
                user=str(command.get("user_id") or ""),
                client=client,
            )
        shareable = reply.intent not in {"help", "error", "clarify", "bad_input"}
        # a follow-up ("and yesterday?") is shared as the whole question it was read as
        read = (reply.data.get("recognised") or {}).get("read") or question
        respond_reply(respond, reply, share=read if shareable else None, replace=shown.is_set())

    app.command(COMMAND)(ack=acknowledge, lazy=[answer_command])
