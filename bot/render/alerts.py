"""Alert messages: the first post of an incident, thread updates, reminders, resolutions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from golocal.db.alerts import Incident

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
    return [block.to_dict() for block in blocks]
