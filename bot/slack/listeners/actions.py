"""Block actions (https://api.slack.com/reference/interaction-payloads/block-actions).

* App Home: "Re-run the checklist" recomputes the dashboard after the ack; "Update our
  answers" opens the checklist modal at once, because a ``trigger_id`` expires after 3 s.
* "Did you mean …?" under a chat reply: answers the question as the chosen intent, in the
  same thread.
* "Share in channel" under an ephemeral ``/golocal`` answer posts the answer for everyone,
  saying who shared it, and removes the ephemeral copy.
* Alert buttons: Acknowledge, Snooze (1 h / 4 h / 24 h), Resolve. The incident stores who
  acted and when, the alert message is updated in place and the action noted in its thread.
  Snoozed (and acknowledged) incidents send no reminders; a resolved incident whose
  condition still holds opens anew at the next evaluation.

Every ack goes back before any database or rendering work; the work runs in lazy listeners.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from golocal.bot.chat import Asked, remember
from golocal.bot.delivery_errors import classify
from golocal.bot.render.alerts import (
    ACK_ACTION,
    RESOLVE_ACTION,
    SNOOZE_ACTION,
    SNOOZE_HOURS,
    action_note,
    alert_status_blocks,
    alert_text,
)
from golocal.bot.render.blocks import DID_YOU_MEAN_ACTION, MAX_MESSAGE_BLOCKS, message_payload
from golocal.bot.render.mrkdwn import mention, slack_text
from golocal.bot.services import Actor, Services
from golocal.bot.slack.answering import Answerer
from golocal.bot.slack.checklist_modal import open_checklist_modal
from golocal.bot.slack.conversation import SHARE_ACTION, post_reply
from golocal.bot.slack.home import RERUN_ACTION, UPDATE_ANSWERS_ACTION, publish_home
from golocal.db import alerts as incidents_db

log = logging.getLogger(__name__)


def _acknowledge(ack: Ack) -> None:
    ack()


def _first_action(body: dict[str, Any]) -> dict[str, Any]:
    return body["actions"][0]


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and message ``ts`` a button was pressed on."""
    container = body.get("container")
    container = container if isinstance(container, dict) else {}
    posted_in = body.get("channel")
    posted_in = posted_in if isinstance(posted_in, dict) else {}
    return container.get("channel_id") or posted_in.get("id"), container.get("message_ts")


def register(app: App, services: Services, answerer: Answerer) -> None:
    """Register the App Home, share and alert button listeners on ``app``."""

    def rerun_checklist(body: dict[str, Any], client: WebClient) -> None:
        publish_home(client, answerer.home_view, body["user"]["id"])

    def update_answers(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        open_checklist_modal(
            client, services, body["trigger_id"], channel=None, user=body["user"]["id"]
        )

    def share_answer(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        user = body["user"]["id"]
        channel, _ = _where(body)
        question = str(_first_action(body).get("value") or "")
        if not channel:
            return
        payload = message_payload(answerer.reply(question))
        shared_by = {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"Shared by {mention(user)}"}],
        }
        payload["blocks"] = [*payload["blocks"][: MAX_MESSAGE_BLOCKS - 1], shared_by]
        try:
            client.chat_postMessage(channel=channel, unfurl_links=False, **payload)
        except (SlackClientError, OSError) as exc:
            why = classify(exc, channel).line
            log.warning("could not share an answer in %s: %s", channel, why)
            respond(response_type="ephemeral", replace_original=False, text=f"Not shared: {why}")
            return
        respond(delete_original=True)

    def answer_choice(body: dict[str, Any], client: WebClient) -> None:
        """A "Did you mean …?" button: answer the question as the chosen intent, in place."""
        try:
            choice = json.loads(_first_action(body).get("value") or "{}")
            intent, question = str(choice["intent"]), str(choice["question"])
        except (ValueError, KeyError, TypeError, IndexError):
            log.warning("ignored a did-you-mean button with an unreadable value")
            return
        user = str((body.get("user") or {}).get("id") or "")
        channel, _ = _where(body)
        message = body.get("message") or {}
        asked = Asked(question, intent=intent, actor=Actor(user, "slack", False))
        reply = answerer.reply(asked)
        if not channel:
            return
        thread = message.get("thread_ts") or message.get("ts")
        post_reply(client, channel, reply, thread_ts=thread, user=user or None)
        if thread:
            remember(answerer.conversations, ("thread", channel, str(thread)), asked, reply)

    def act_on_alert(body: dict[str, Any], client: WebClient) -> None:
        action = _first_action(body)
        user = body["user"]["id"]
        kind = {ACK_ACTION: "ack", SNOOZE_ACTION: "snooze", RESOLVE_ACTION: "resolve"}[
            action["action_id"]
        ]
        snooze = None
        if kind == "snooze":
            choice = (action.get("selected_option") or {}).get("value")
            snooze = timedelta(hours=SNOOZE_HOURS.get(str(choice), 1))
            incident_id = str(action.get("block_id", "")).rpartition(":")[2]
        else:
            incident_id = str(action.get("value", ""))
        if not incident_id.isdigit():
            log.warning("alert action %s without an incident id", action["action_id"])
            return
        now = services.now()
        incident = incidents_db.act_on(
            services.database, int(incident_id), kind, user=user, now=now, snooze=snooze
        )
        if incident is None:
            return
        if kind == "resolve":  # the thread note below is the resolution message
            incidents_db.record_notification(services.database, incident.id, now=now)
        log.info("alert %s: %s by %s", incident.id, kind, user)
        channel, ts = _where(body)
        if not channel or not ts:
            return
        try:
            client.chat_update(
                channel=channel,
                ts=ts,
                text=alert_text("open" if incident.firing else "resolve", incident, now),
                blocks=alert_status_blocks(incident, now),
            )
            text, blocks = action_note(kind, user, incident)
            client.chat_postMessage(
                channel=channel, thread_ts=ts, text=slack_text(text), blocks=blocks
            )
        except (SlackClientError, OSError) as exc:
            log.warning("could not update alert %s in %s: %s", incident.id, channel, exc)

    app.action(RERUN_ACTION)(ack=_acknowledge, lazy=[rerun_checklist])
    app.action(UPDATE_ANSWERS_ACTION)(update_answers)
    app.action(SHARE_ACTION)(ack=_acknowledge, lazy=[share_answer])
    app.action(re.compile(f"^{DID_YOU_MEAN_ACTION}_\\d+$"))(ack=_acknowledge, lazy=[answer_choice])
    for action_id in (ACK_ACTION, SNOOZE_ACTION, RESOLVE_ACTION):
        app.action(action_id)(ack=_acknowledge, lazy=[act_on_alert])
