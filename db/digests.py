"""Posting each weekly digest exactly once per (period, channel): the database decides.

:func:`post_digest_once` runs the whole exchange inside one transaction that first writes the
``digest_posts`` row for the (period, channel) — ``INSERT ... ON CONFLICT DO NOTHING`` — so
the unique key is claimed *before* anything is posted, and then locks it:

* on PostgreSQL a transaction-level advisory lock on the key plus ``SELECT ... FOR UPDATE``
  serialise every replica and every ``digest --post``; the second one waits, then sees
  ``posted`` and does nothing;
* on SQLite the first ``INSERT`` takes the database's write lock, which does the same for
  the processes of one machine (the embedded database has no replicas).

A post that raises is recorded as ``failed`` with its reason and committed, so the next run
retries it; a process that dies mid-post rolls its transaction back, leaving the digest
unposted (retried) rather than marked as posted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, text, update

from golocal.db.database import Database
from golocal.db.models import DigestPost
from golocal.db.upsert import dialect_insert
from golocal.redaction import redact

MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class DigestPostState:
    """A snapshot of one ``digest_posts`` row."""

    period: str
    channel: str
    state: str
    attempts: int
    posted_at: datetime | None
    message_ts: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class PostOutcome:
    """What :func:`post_digest_once` did: ``posted``, ``already_posted`` or ``failed``."""

    status: str
    state: DigestPostState

    @property
    def posted_now(self) -> bool:
        return self.status == "posted"


class DigestPostError(Exception):
    """Posting failed; the row is marked ``failed`` (with ``reason``).

    ``permanent``: only a configuration change can fix it, so it is not retried until then.
    """

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def _lock_key(period: str, channel: str) -> int:
    """A stable signed 64-bit advisory-lock key for one (period, channel)."""
    digest = hashlib.sha256(f"golocal-digest:{period}:{channel}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _claim_row(connection: Connection, period: str, channel: str, now: datetime) -> Row[Any]:
    insert = dialect_insert(connection)
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(period, channel)}
        )
    connection.execute(
        insert(DigestPost)
        .values(period=period, channel=channel, state="pending", attempts=0, created_at=now)
        .on_conflict_do_nothing(index_elements=["period", "channel"])
    )
    query = select(DigestPost.__table__).where(
        DigestPost.period == period, DigestPost.channel == channel
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).one()


def _state(row: Row[Any]) -> DigestPostState:
    return DigestPostState(
        period=row.period,
        channel=row.channel,
        state=row.state,
        attempts=row.attempts,
        posted_at=row.posted_at,
        message_ts=row.message_ts,
        last_error=row.last_error,
    )


def post_digest_once(
    database: Database,
    period: str,
    channel: str,
    post: Callable[[], str | None],
    *,
    now: datetime,
) -> PostOutcome:
    """Call ``post`` unless the digest for (period, channel) was already posted.

    Args:
        period: the ISO week, e.g. ``2026-W12``.
        channel: the Slack channel id (or ``console``).
        post: sends the digest; returns the message ``ts`` (or ``None``). It runs while the
            key is locked, so it should be bounded in time (the Slack client's timeouts).
        now: the current time (aware UTC).

    Returns:
        ``posted`` when ``post`` ran and succeeded, ``already_posted`` when it did not run.

    Raises:
        DigestPostError: ``post`` raised; the row is ``failed`` and the next call retries.
    """
    failure: str | None = None
    with database.engine.begin() as connection:
        row = _claim_row(connection, period, channel, now)
        if row.state == "posted":
            return PostOutcome("already_posted", _state(row))
        attempts = (row.attempts or 0) + 1
        where = (DigestPost.period == period, DigestPost.channel == channel)
        try:
            message_ts = post()
        except Exception as exc:  # recorded and re-raised as DigestPostError below
            failure = redact(f"{type(exc).__name__}: {exc}")[:MAX_ERROR_LENGTH]
            connection.execute(
                update(DigestPost)
                .where(*where)
                .values(state="failed", attempts=attempts, last_error=failure)
            )
        else:
            connection.execute(
                update(DigestPost)
                .where(*where)
                .values(state="posted", attempts=attempts, posted_at=now, message_ts=message_ts)
            )
    if failure is not None:
        raise DigestPostError(failure)
    state = digest_post_state(database, period, channel)
    assert state is not None
    return PostOutcome("posted", state)


def digest_post_state(database: Database, period: str, channel: str) -> DigestPostState | None:
    """The stored state of one digest post, or ``None`` if it was never attempted."""
    query = select(DigestPost.__table__).where(
        DigestPost.period == period, DigestPost.channel == channel
    )
    with database.engine.connect() as connection:
        row = connection.execute(query).one_or_none()
    return None if row is None else _state(row)


def count_posted(database: Database, period: str | None = None) -> int:
    """Digests marked posted (of one period, if given)."""
    query = select(DigestPost.id).where(DigestPost.state == "posted")
    if period is not None:
        query = query.where(DigestPost.period == period)
    with database.engine.connect() as connection:
        return len(connection.execute(query).all())
