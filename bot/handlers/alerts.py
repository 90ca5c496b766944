"""The alerts intent: which alert incidents are firing now."""

from __future__ import annotations

from golocal.bot.chat import intent
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.alerts import firing_incidents

SHOWN = 10


@intent("alerts")
def answer_alerts(question: str, services: Services) -> Reply:
    """Firing incidents, most severe and newest first."""
    now = services.now()
    firing = sorted(
        firing_incidents(services.database),
        key=lambda i: (i.severity != "critical", -i.first_seen.timestamp()),
    )
    data = {"as_of": now.isoformat(), "firing": [i.as_json() for i in firing]}
    if not firing:
        return Reply("alerts", f"No alerts firing as of {now:%Y-%m-%d %H:%M} UTC.", data)
    lines = [f"{len(firing)} alert(s) firing as of {now:%Y-%m-%d %H:%M} UTC:"]
    for incident in firing[:SHOWN]:
        lines.append(
            f"• [{incident.severity}] {incident.summary} (since "
            f"{incident.first_seen:%Y-%m-%d %H:%M} UTC)"
        )
    if len(firing) > SHOWN:
        lines.append(f"…and {len(firing) - SHOWN} more (`golocal alerts check --json`).")
    return Reply("alerts", "\n".join(lines), data)


INTENTS = [answer_alerts]
