"""Alert incidents: open, refresh, resolve, and claim their notifications.

``alert_incidents.open_key`` is the dedupe key while an incident fires and NULL once it is
resolved, so the unique constraint allows at most one open incident per key on both
dialects. Two evaluators racing to open the same incident hit that constraint; the loser
refreshes the winner's row instead.

A notification is claimed with a compare-and-set that takes a **lease** (``lease_until``):
while it runs no other replica sends that message; once it is recorded ``notify_count``
moves on. A sender that dies after claiming leaves only the lease behind, and when it
expires the message is due again — it is never lost (the poster then finds it in the
channel if it had gone out, so it is not sent twice either).

People act on incidents from Slack: acknowledge, snooze (no reminders until a time) and
resolve, each stored with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from golocal.db.database import Database
from golocal.db.models import AlertIncident


@dataclass(frozen=True, slots=True)
class Incident:
    """A snapshot of one incident row."""

    id: int
    rule: str
    key: str
    state: str
    severity: str
    summary: str
    details: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    last_notified_at: datetime | None
    notify_count: int
    channel: str | None
    thread_ts: str | None
    acked_by: str | None = None
    acked_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    resolved_by: str | None = None

    @property
    def firing(self) -> bool:
        return self.state == "firing"

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "key": self.key,
            "state": self.state,
            "severity": self.severity,
            "summary": self.summary,
            "details": self.details,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "last_notified_at": (
                self.last_notified_at.isoformat() if self.last_notified_at else None
            ),
            "notified": self.notify_count > 0,
            "acked_by": self.acked_by,
            "acked_at": self.acked_at.isoformat() if self.acked_at else None,
            "snoozed_until": self.snoozed_until.isoformat() if self.snoozed_until else None,
            "snoozed_by": self.snoozed_by,
            "resolved_by": self.resolved_by,
        }


def _snapshot(row: AlertIncident) -> Incident:
    return Incident(
        id=row.id,
        rule=row.rule,
        key=row.key,
        state=row.state,
        severity=row.severity,
        summary=row.summary,
        details=dict(row.details or {}),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        resolved_at=row.resolved_at,
        last_notified_at=row.last_notified_at,
        notify_count=row.notify_count or 0,
        channel=row.channel,
        thread_ts=row.thread_ts,
        acked_by=row.acked_by,
        acked_at=row.acked_at,
        snoozed_until=row.snoozed_until,
        snoozed_by=row.snoozed_by,
        resolved_by=row.resolved_by,
    )


def open_key(rule: str, key: str) -> str:
    """The dedupe key of a firing incident."""
    return f"{rule}:{key}"[:300]


def fire(
    database: Database,
    *,
    rule: str,
    key: str,
    severity: str,
    summary: str,
    details: dict[str, Any],
    now: datetime,
) -> Incident:
    """Open the incident for (rule, key), or refresh the one already firing."""
    dedupe = open_key(rule, key)
    for _attempt in range(2):
        try:
            with database.session() as session:
                row = session.scalars(
                    select(AlertIncident).where(AlertIncident.open_key == dedupe)
                ).one_or_none()
                if row is None:
                    row = AlertIncident(
                        rule=rule,
                        key=key,
                        open_key=dedupe,
                        state="firing",
                        first_seen=now,
                        notify_count=0,
                    )
                    session.add(row)
                # keep what the last notification was about, so a change is noticed
                kept = {k: v for k, v in (row.details or {}).items() if k.startswith("_")}
                row.severity = severity
                row.summary = summary
                row.details = {**details, **kept}
                row.last_seen = now
                session.flush()
                return _snapshot(row)
        except IntegrityError:
            continue  # another evaluator opened it between our read and insert: refresh it
    raise RuntimeError(f"could not open or refresh incident {dedupe}")


def resolve(database: Database, incident_id: int, *, now: datetime) -> Incident | None:
    """Close a firing incident (frees its dedupe key); ``None`` if it was not firing."""
    with database.session() as session:
        row = session.get(AlertIncident, incident_id)
        if row is None or row.state != "firing":
            return None
        row.state = "resolved"
        row.open_key = None
        row.resolved_at = now
        session.flush()
        return _snapshot(row)


def firing_incidents(database: Database, rule: str | None = None) -> list[Incident]:
    """Incidents firing now (of one rule, if given), oldest first."""
    query = select(AlertIncident).where(AlertIncident.state == "firing")
    if rule is not None:
        query = query.where(AlertIncident.rule == rule)
    with database.session() as session:
        rows = session.scalars(query.order_by(AlertIncident.first_seen, AlertIncident.id))
        return [_snapshot(row) for row in rows]


def recent_incidents(database: Database, *, since: datetime) -> list[Incident]:
    """Incidents firing now or resolved at or after ``since``, oldest first."""
    query = select(AlertIncident).where(
        (AlertIncident.state == "firing") | (AlertIncident.resolved_at >= since)
    )
    with database.session() as session:
        rows = session.scalars(query.order_by(AlertIncident.first_seen, AlertIncident.id))
        return [_snapshot(row) for row in rows]


def pending_resolutions(database: Database) -> list[Incident]:
    """Resolved incidents that were announced but whose resolution was not yet sent."""
    query = select(AlertIncident).where(
        AlertIncident.state == "resolved",
        AlertIncident.notify_count > 0,
        AlertIncident.last_notified_at < AlertIncident.resolved_at,
    )
    with database.session() as session:
        return [_snapshot(row) for row in session.scalars(query.order_by(AlertIncident.id))]


def claim_notification(
    database: Database, incident: Incident, *, now: datetime, lease: timedelta
) -> bool:
    """Take the right to send the next message of ``incident`` for ``lease``.

    Returns ``False`` when another sender notified it since ``incident`` was read, or holds
    an unexpired lease on it.
    """
    with database.engine.begin() as connection:
        result = connection.execute(
            update(AlertIncident)
            .where(
                AlertIncident.id == incident.id,
                AlertIncident.notify_count == incident.notify_count,
                (AlertIncident.lease_until.is_(None)) | (AlertIncident.lease_until <= now),
            )
            .values(lease_until=now + lease)
        )
    return result.rowcount == 1


def release_notification(database: Database, incident: Incident) -> None:
    """Give a claim back whose message could not be sent, so the next evaluation retries it."""
    with database.engine.begin() as connection:
        connection.execute(
            update(AlertIncident).where(AlertIncident.id == incident.id).values(lease_until=None)
        )


def record_notification(
    database: Database,
    incident_id: int,
    *,
    now: datetime,
    channel: str | None = None,
    thread_ts: str | None = None,
    signature: str | None = None,
) -> None:
    """A message of the incident went out: count it, free the lease, remember where it went."""
    with database.session() as session:
        row = session.get(AlertIncident, incident_id)
        if row is None:
            return
        row.notify_count = (row.notify_count or 0) + 1
        row.last_notified_at = now
        row.lease_until = None
        details = row.details or {}
        if details.get("_delivery_error"):
            row.details = {k: v for k, v in details.items() if k != "_delivery_error"}
        if channel is not None:
            row.channel = channel
        if thread_ts is not None:
            row.thread_ts = thread_ts
        if signature is not None:
            row.details = {**(row.details or {}), "_notified_signature": signature}


def record_delivery_failure(database: Database, incident_id: int, reason: str) -> None:
    """Why the incident's message could not be sent (until one is): shown with the incident."""
    with database.session() as session:
        row = session.get(AlertIncident, incident_id)
        if row is not None:
            row.details = {**(row.details or {}), "_delivery_error": reason}


def get_incident(database: Database, incident_id: int) -> Incident | None:
    """One incident by id."""
    with database.session() as session:
        row = session.get(AlertIncident, incident_id)
        return None if row is None else _snapshot(row)


def act_on(
    database: Database,
    incident_id: int,
    action: str,
    *,
    user: str,
    now: datetime,
    snooze: timedelta | None = None,
) -> Incident | None:
    """Record a person's ``ack``, ``snooze`` (for ``snooze``) or ``resolve`` of an incident.

    Returns the incident after the action, or ``None`` when there is no such incident.
    Resolving an incident that already resolved keeps its first resolution.
    """
    with database.session() as session:
        row = session.get(AlertIncident, incident_id)
        if row is None:
            return None
        if action == "ack":
            row.acked_by, row.acked_at = user[:50], now
        elif action == "snooze":
            row.snoozed_by, row.snoozed_until = user[:50], now + (snooze or timedelta(hours=1))
        elif action == "resolve" and row.state == "firing":
            row.state, row.open_key, row.resolved_at = "resolved", None, now
            row.resolved_by = user[:50]
        session.flush()
        return _snapshot(row)
