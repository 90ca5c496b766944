"""Questions in, replies out: what every Slack listener shares.

:func:`reply_to` is the one place in the Slack adapter where a failure becomes a reply
(:func:`golocal.bot.replies.reply_for_error`). :func:`post_reply` sends a reply and, when
Slack cannot be reached or refuses it, logs the reason — an answer is never lost silently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from golocal.bot.chat import Asked, answer, remember, resolve_follow_up
from golocal.bot.followups import Conversations
from golocal.bot.posting import slack_failure
from golocal.bot.recognise import keyword_intent, normalise
from golocal.bot.render.blocks import message_payload
from golocal.bot.replies import Reply, reply_for_error
from golocal.bot.services import Actor, Services
from golocal.bot.slack.checklist_modal import is_admin
from golocal.jobs import selfmetrics

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def question_text(text: str | None) -> str:
    """A message's text without user mentions (``<@U123>``), whitespace collapsed."""
    return " ".join(_MENTION.sub(" ", text or "").split())


def reply_to(question: str | Asked, services: Services) -> Reply:
    """Answer a question through the chat handlers; failures become an error reply."""
    try:
        return answer(question, services)
    except Exception as exc:
        return reply_for_error(exc)


def answer_in_conversation(
    ask: Callable[[str | Asked], Reply],
    services: Services,
    conversations: Conversations,
    key: Hashable,
    text: str,
    *,
    user: str,
    client: WebClient | None = None,
) -> Reply:
    """Answer ``text`` from ``user`` as part of conversation ``key`` (a thread, a DM).

    A follow-up ("and last month?") is made whole from the conversation's last subject here,
    in the listening process, and the answer's subject is remembered for the next one. Only
    admins may change checklist answers: the (Slack API) admin check runs only for such a
    sentence.
    """
    asked = Asked(text, actor=Actor(user, "slack", may_change_answers=False))
    try:
        asked = resolve_follow_up(asked, services, conversations, key)
        if keyword_intent(normalise(asked.text)) == "checklist_update":
            admin = is_admin(services.settings, user, client)
            asked = replace(asked, actor=Actor(user, "slack", may_change_answers=admin))
    except Exception as exc:
        return reply_for_error(exc)
    reply = ask(asked)
    remember(conversations, key, asked, reply)
    return reply


def post_reply(
    client: WebClient, channel: str, reply: Reply, *, thread_ts: str | None = None
) -> dict[str, Any] | None:
    """Post ``reply`` with chat.postMessage (in ``thread_ts`` if given).

    Returns Slack's answer, or ``None`` when the post failed; the failure is logged with
    its reason (after the client's own retries for 429 and connection errors).
    """
    payload = message_payload(reply)
    try:
        response = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **payload)
    except (SlackClientError, OSError) as exc:
        log.error(
            "could not post the %s answer to %s: %s", reply.intent, channel, slack_failure(exc)
        )
        selfmetrics.observe_slack_post("answer", ok=False)
        return None
    selfmetrics.observe_slack_post("answer", ok=True)
    return dict(response.data) if isinstance(response.data, dict) else None


def respond_reply(respond: Any, reply: Reply, *, in_channel: bool) -> None:
    """Answer through a slash command's ``response_url``; a failure is logged."""
    payload = message_payload(reply)
    try:
        result = respond(response_type="in_channel" if in_channel else "ephemeral", **payload)
    except (SlackClientError, OSError) as exc:
        log.error("could not answer through response_url (%s): %s", reply.intent, exc)
        selfmetrics.observe_slack_post("answer", ok=False)
        return
    status = getattr(result, "status_code", 200)
    selfmetrics.observe_slack_post("answer", ok=status < 400)
    if status >= 400:
        log.error(
            "could not answer through response_url (%s): HTTP %s %s",
            reply.intent,
            status,
            getattr(result, "body", ""),
        )
