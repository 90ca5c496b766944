"""Questions in, replies out: what every Slack listener shares.

:func:`reply_to` is the one place in the Slack adapter where a failure becomes a reply
(:func:`golocal.bot.replies.reply_for_error`). :func:`post_reply` sends a reply (the client
retries transient failures) and, when Slack still refuses it, logs the reason and tells the
asker — ephemerally in the channel, or in the app's DM when even that is refused — that the
answer failed and why: an answer is never lost silently.
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
from golocal.bot.delivery_errors import classify
from golocal.bot.followups import Conversations
from golocal.bot.posting import slack_failure
from golocal.bot.recognise import keyword_intent, normalise
from golocal.bot.render.blocks import MAX_MESSAGE_BLOCKS, message_payload
from golocal.bot.render.mrkdwn import slack_text
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
    client: WebClient,
    channel: str,
    reply: Reply,
    *,
    thread_ts: str | None = None,
    user: str | None = None,
) -> dict[str, Any] | None:
    """Post ``reply`` with chat.postMessage (in ``thread_ts`` if given).

    Returns Slack's answer, or ``None`` when the post failed; the failure is logged with
    its reason (after the client's own retries) and ``user`` is told.
    """
    payload = message_payload(reply)
    try:
        response = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **payload)
    except (SlackClientError, OSError) as exc:
        log.error(
            "could not post the %s answer to %s: %s", reply.intent, channel, slack_failure(exc)
        )
        selfmetrics.observe_slack_post("answer", ok=False)
        if user:
            tell_failure(client, channel, user, classify(exc, channel).line, thread_ts=thread_ts)
        return None
    selfmetrics.observe_slack_post("answer", ok=True)
    return dict(response.data) if isinstance(response.data, dict) else None


def tell_failure(
    client: WebClient, channel: str, user: str, why: str, *, thread_ts: str | None = None
) -> bool:
    """Tell ``user`` their answer could not be posted: ephemeral, else in the app's DM."""
    text = slack_text(f"I could not post my answer: {why}")
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        return True
    except (SlackClientError, OSError):
        pass
    try:
        client.chat_postMessage(channel=user, text=text)  # a user id posts to the app's DM
        return True
    except (SlackClientError, OSError) as exc:
        log.error("could not tell %s that the answer failed: %s", user, slack_failure(exc))
        return False


#: The "Share in channel" button under an ephemeral slash command answer.
SHARE_ACTION = "golocal_share_answer"
#: Slack's limit on a button's value (https://api.slack.com/reference/block-kit/block-elements#button).
MAX_BUTTON_VALUE = 2000


def share_button(question: str) -> dict[str, Any]:
    """An actions block with the "Share in channel" button carrying the question."""
    return {
        "type": "actions",
        "block_id": "golocal_share",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION,
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": question[:MAX_BUTTON_VALUE],
            }
        ],
    }


def respond_reply(
    respond: Any, reply: Reply, *, share: str | None = None, replace: bool = False
) -> None:
    """Answer a slash command ephemerally through its ``response_url``, replacing any
    "Answering…" note; ``share`` (the question) adds the "Share in channel" button.
    A failure is logged."""
    payload = message_payload(reply)
    if share:
        payload["blocks"] = [*payload["blocks"][: MAX_MESSAGE_BLOCKS - 1], share_button(share)]
    try:
        extra = {"replace_original": True} if replace else {}
        result = respond(response_type="ephemeral", **extra, **payload)
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
