"""Alert messages: the first post of an incident, thread updates, reminders, resolutions.

A firing incident's first message carries **Acknowledge**, **Snooze** (1 h / 4 h / 24 h) and
**Resolve** (https://api.slack.com/reference/block-kit/block-elements#button, ``static_select``);
:mod:`golocal.bot.slack.listeners.actions` handles them and re-renders the message here, with
who acted and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from golocal.bot.render.mrkdwn import escape, mention
from golocal.db.alerts import Incident

ACK_ACTION = "golocal_alert_ack"
SNOOZE_ACTION = "golocal_alert_snooze"
RESOLVE_ACTION = "golocal_alert_resolve"
ALERT_ACTIONS = (ACK_ACTION, SNOOZE_ACTION, RESOLVE_ACTION)
#: Snooze choices: option value → hours.
SNOOZE_HOURS = {"1h": 1, "4h": 4, "24h": 24}

_ICON = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}


def _duration(start: datetime, end: datetime) -> str:
    minutes = int((end - start).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days"


def alert_text(kind: str, incident: Incident, now: datetime) -> str:
    """The message for a notification ``kind``: open, update, reminder or resolve."""
    head = f"[{incident.severity.upper()}] {incident.rule}"
    if kind == "open":
        return f"{head}: {incident.summary} (since {incident.first_seen:%Y-%m-%d %H:%M} UTC)"
    if kind == "update":
        return f"Update — {incident.summary}"
    if kind == "reminder":
        return f"Still firing after {_duration(incident.first_seen, now)}: {incident.summary}"
    end = incident.resolved_at or now
    return (
        f"Resolved after {_duration(incident.first_seen, end)}: {incident.rule} ({incident.key})."
    )


def alert_status_blocks(incident: Incident, now: datetime) -> list[dict[str, Any]]:
    """Blocks of the incident's first message, re-rendered on update and resolution."""
    # slack_sdk only when blocks are built: printing alerts on the console starts without it
    from golocal.bot.render.blocks import context, section

    if incident.firing:
        icon = _ICON.get(incident.severity, ":warning:")
        status = f"firing since {incident.first_seen:%Y-%m-%d %H:%M} UTC"
    else:
        icon = ":white_check_mark:"
        status = f"resolved after {_duration(incident.first_seen, incident.resolved_at or now)}"
    text = f"{icon} *{incident.rule}* — {incident.summary}"
    blocks = [section(text), context(f"{status} · key `{incident.key}`")]
    rendered = [block.to_dict() for block in blocks]
    people = _who_acted(incident)
    if people:
        rendered.append({"type": "context", "elements": people})
    if incident.firing:
        rendered.append(_action_buttons(incident))
    return rendered


def action_note(action: str, user: str, incident: Incident) -> tuple[str, list[dict[str, Any]]]:
    """The thread note for a person's action: fallback text and a context block."""
    what = {
        "ack": "acknowledged this",
        "snooze": f"snoozed reminders until {_when(incident.snoozed_until)}",
        "resolve": "resolved this",
    }[action]
    block = {"type": "context", "elements": [_mrkdwn(f"{mention(user)} {escape(what)}")]}
    return f"{user} {what}", [block]


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else "—"


def _mrkdwn(text: str) -> dict[str, str]:
    """A mrkdwn text object of text already made safe (escaped data, golocal's mentions)."""
    return {"type": "mrkdwn", "text": text}


def _who_acted(incident: Incident) -> list[dict[str, str]]:
    lines = []
    if incident.acked_by:
        lines.append(f"Acknowledged by {mention(incident.acked_by)} at {_when(incident.acked_at)}")
    if incident.snoozed_by and incident.snoozed_until:
        lines.append(
            f"Snoozed by {mention(incident.snoozed_by)} until {_when(incident.snoozed_until)}"
        )
    if incident.resolved_by:
        lines.append(f"Resolved by {mention(incident.resolved_by)}")
    return [_mrkdwn(line) for line in lines]


def _action_buttons(incident: Incident) -> dict[str, Any]:
    value = str(incident.id)
    elements: list[dict[str, Any]] = []
    if not incident.acked_by:
        elements.append(_button("Acknowledge", ACK_ACTION, value, "primary"))
    elements.append(
        {
            "type": "static_select",
            "action_id": SNOOZE_ACTION,
            "placeholder": {"type": "plain_text", "text": "Snooze"},
            "options": [
                {"text": {"type": "plain_text", "text": f"Snooze {label}"}, "value": label}
                for label in SNOOZE_HOURS
            ],
        }
    )
    elements.append(_button("Resolve", RESOLVE_ACTION, value, "danger"))
    return {"type": "actions", "block_id": f"golocal_alert:{value}", "elements": elements}


def _button(text: str, action_id: str, value: str, style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
        "style": style,
    }
