"""Alert notifications: each message sent once, failures reported in one line, never lost.

For every due notification (:func:`golocal.jobs.alerts.due_notifications`) the sender

1. skips a channel Slack refused for a reason only a configuration change can fix
   (:mod:`golocal.db.deliveries`) — it is not retried every evaluation;
2. claims the message with a lease (:func:`golocal.db.alerts.claim_notification`): two
   replicas never both send it, and a sender that dies lets the lease expire instead of
   losing the message;
3. posts it tagged with a key unique to (incident, kind, sequence), so a retry after a
   500-after-accept or after a crash finds the message already in the channel
   (:class:`golocal.bot.posting.SlackPoster`) instead of posting it twice;
4. records it, or gives the claim back and says why in one line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from golocal.bot.posting import CONSOLE_CHANNEL, ConsolePoster, Message, Poster, PostError
from golocal.bot.render.alerts import alert_status_blocks, alert_text
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db import alerts as incidents_db
from golocal.db import deliveries
from golocal.jobs.alerts import due_notifications

log = logging.getLogger(__name__)

#: How long a claimed notification is reserved; longer than a post with all its retries.
NOTIFY_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class SentNotification:
    """A notification that went out."""

    kind: str
    incident_id: int
    channel: str


@dataclass(frozen=True)
class FailedNotification:
    """A notification that did not go out, and why (``permanent``: until the config changes)."""

    kind: str
    incident_id: int
    channel: str
    reason: str
    permanent: bool


@dataclass
class AlertDelivery:
    """What one round of notifying did."""

    sent: list[SentNotification] = field(default_factory=list)
    failed: list[FailedNotification] = field(default_factory=list)


def delivery_config(poster: Poster, channel: str) -> str | None:
    """A fingerprint of the configuration a post to ``channel`` depends on (``None``: console)."""
    fingerprint = getattr(poster, "fingerprint", None)
    return fingerprint(channel) if callable(fingerprint) else None


def held_back(services: Services, poster: Poster, channel: str) -> deliveries.BlockedChannel | None:
    """The recorded permanent failure that still holds back posts to ``channel``, if any."""
    config = delivery_config(poster, channel)
    return None if config is None else deliveries.blocked(services.database, channel, config)


def note_failure(services: Services, poster: Poster, channel: str, exc: PostError) -> None:
    """Remember a permanent failure so ``channel`` is not retried until the config changes."""
    config = delivery_config(poster, channel)
    if exc.failure is None or not exc.permanent or config is None:
        return
    deliveries.block(
        services.database,
        channel,
        error=exc.failure.code,
        fix=exc.failure.line,
        config=config,
        now=services.now(),
    )


def deliver_alerts(services: Services, poster: Poster, channel: str | None) -> AlertDelivery:
    """Send the due alert messages: first post, thread updates, reminders, resolutions."""
    settings, database, now = services.settings, services.database, services.now()
    result = AlertDelivery()
    for due in due_notifications(database, settings, now):
        incident = due.incident
        target = incident.channel or channel
        thread_ts = incident.thread_ts
        if CONSOLE_CHANNEL in {target, channel} and target != channel:
            # announced on a terminal, now running in Slack (or back): start afresh there
            target, thread_ts = channel, None
        if target is None:
            continue
        held = held_back(services, poster, target)
        if held is not None:
            result.failed.append(FailedNotification(due.kind, incident.id, target, held.fix, True))
            incidents_db.record_delivery_failure(database, incident.id, held.fix)
            continue
        if not incidents_db.claim_notification(database, incident, now=now, lease=NOTIFY_LEASE):
            continue  # another sender has it
        text = alert_text(due.kind, incident, now)
        key = f"alert:{incident.id}:{due.kind}:{incident.notify_count}"
        signature = incident.details.get("signature", incident.summary)
        try:
            if due.kind == "open" or thread_ts is None:
                blocks = alert_status_blocks(incident, now)
                ts = poster.post(Message(target, text, blocks=blocks, key=key, kind="alert"))
                incidents_db.record_notification(
                    database,
                    incident.id,
                    now=now,
                    channel=target,
                    thread_ts=ts,
                    signature=signature,
                )
            else:
                poster.post(Message(target, text, thread_ts=thread_ts, key=key, kind="alert"))
                if due.kind in {"update", "resolve"}:
                    status = Message(target, text, blocks=alert_status_blocks(incident, now))
                    poster.update(thread_ts, status)
                incidents_db.record_notification(
                    database, incident.id, now=now, signature=signature
                )
        except PostError as exc:
            incidents_db.release_notification(database, incident)
            note_failure(services, poster, target, exc)
            reason = exc.failure.line if exc.failure else str(exc)
            incidents_db.record_delivery_failure(database, incident.id, reason)
            log.warning(
                "alert %s (%s) was not sent to %s: %s", incident.id, due.kind, target, reason
            )
            result.failed.append(
                FailedNotification(due.kind, incident.id, target, reason, exc.permanent)
            )
            continue
        result.sent.append(SentNotification(due.kind, incident.id, target))
    return result


def alerts_channel(settings: Settings, poster: Poster) -> str | None:
    """Where alerts go: ``console`` when printing, else ``[alerts] channel``."""
    return CONSOLE_CHANNEL if isinstance(poster, ConsolePoster) else settings.alerts.channel


def notify_alerts(services: Services, poster: Poster) -> list[SentNotification]:
    """Send the due alert messages to the configured channel; the ones that went out."""
    return deliver_alerts(services, poster, alerts_channel(services.settings, poster)).sent
