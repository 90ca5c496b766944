"""Slack channels golocal cannot post to until its configuration changes.

When Slack answers a post with a permanent error (the bot is not in the channel, the token
lacks a scope, ...), the channel is recorded here with the error, one line saying how to fix
it, and a fingerprint of the configuration that failed. Scheduled posts to that channel are
skipped — not retried every few minutes — until the fingerprint differs (a new channel id, a
new token) or a post succeeds. ``golocal sources`` and the App Home list these channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from golocal.db.database import Database
from golocal.db.models import SlackDelivery


@dataclass(frozen=True, slots=True)
class BlockedChannel:
    """A channel posts to which are held back, and why."""

    channel: str
    error: str
    fix: str
    failed_at: datetime
    skipped: int

    def as_json(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "error": self.error,
            "fix": self.fix,
            "failed_at": self.failed_at.isoformat(),
            "skipped": self.skipped,
        }


def _snapshot(row: SlackDelivery) -> BlockedChannel:
    return BlockedChannel(row.channel, row.error, row.fix, row.failed_at, row.skipped or 0)


def block(
    database: Database, channel: str, *, error: str, fix: str, config: str, now: datetime
) -> None:
    """Hold back posts to ``channel`` until ``config`` changes."""
    with database.session() as session:
        row = session.get(SlackDelivery, channel)
        if row is None:
            row = SlackDelivery(channel=channel, skipped=0)
            session.add(row)
        row.error, row.fix, row.config, row.failed_at = error[:100], fix, config, now


def blocked(database: Database, channel: str, config: str) -> BlockedChannel | None:
    """The block on ``channel`` if it still applies to ``config`` (counted as a skip).

    A block recorded under another configuration is dropped: the change may have fixed it.
    """
    with database.session() as session:
        row = session.get(SlackDelivery, channel)
        if row is None:
            return None
        if row.config != config:
            session.delete(row)
            return None
        row.skipped = (row.skipped or 0) + 1
        session.flush()
        return _snapshot(row)


def unblock(database: Database, channel: str) -> None:
    """A post to ``channel`` went through: nothing is held back any more."""
    with database.engine.begin() as connection:
        connection.execute(delete(SlackDelivery).where(SlackDelivery.channel == channel))


def blocked_channels(database: Database) -> list[BlockedChannel]:
    """Every blocked channel, oldest failure first."""
    with database.session() as session:
        rows = session.scalars(select(SlackDelivery).order_by(SlackDelivery.failed_at))
        return [_snapshot(row) for row in rows]
