"""Questions in, replies out: what every Slack listener shares.

:func:`reply_to` is the one place in the Slack adapter where a failure becomes a reply
(:func:`golocal.bot.replies.reply_for_error`). :func:`post_reply` sends a reply and, when
Slack cannot be reached or refuses it, logs the reason — an answer is never lost silently.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from golocal.bot.chat import answer
from golocal.bot.posting import slack_failure
from golocal.bot.render.blocks import message_payload
from golocal.bot.replies import Reply, reply_for_error
from golocal.bot.services import Services
from golocal.jobs import selfmetrics

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def question_text(text: str | None) -> str:
    """A message's text without user mentions (``<@U123>``), whitespace collapsed."""
    return " ".join(_MENTION.sub(" ", text or "").split())


def reply_to(question: str, services: Services) -> Reply:
    """Answer a question through the chat handlers; failures become an error reply."""
    try:
        return answer(question, services)
    except Exception as exc:
        return reply_for_error(exc)


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
