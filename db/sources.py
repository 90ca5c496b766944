"""Per-source collection state: cursor, last success, last error (docs/ARCHITECTURE.md, "Storage").

Every collector (cloud or local) records each attempt here, so ``golocal sources``, the chat
and the stale-source alert all read one truth. Error text stored here must already be free
of secrets: callers pass a reason they wrote themselves, never a raw exception with headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from golocal.db.database import Database
from golocal.db.models import SourceStatus
from golocal.redaction import redact

MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class SourceState:
    """A snapshot of one source's status row."""

    source: str
    kind: str
    cursor: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    state: dict[str, Any]

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0


def _snapshot(row: SourceStatus) -> SourceState:
    return SourceState(
        source=row.source,
        kind=row.kind,
        cursor=row.cursor,
        last_attempt_at=row.last_attempt_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        consecutive_failures=row.consecutive_failures,
        state=dict(row.state or {}),
    )


def _row(session: Any, source: str, kind: str) -> SourceStatus:
    row: SourceStatus | None = session.get(SourceStatus, source)
    if row is None:
        row = SourceStatus(source=source, kind=kind, consecutive_failures=0)
        session.add(row)
    if kind:
        row.kind = kind
    return row


def record_success(
    database: Database,
    source: str,
    *,
    kind: str = "",
    at: datetime,
    cursor: datetime | None = None,
    state: dict[str, Any] | None = None,
) -> None:
    """A collection of ``source`` succeeded; advance the cursor (never backwards, never past
    ``at``; a stored cursor later than ``at`` is replaced)."""
    with database.session() as session:
        row = _row(session, source, kind)
        row.last_attempt_at = at
        row.last_success_at = at
        row.consecutive_failures = 0
        if cursor is not None:
            cursor = min(cursor, at)  # a cursor is never set past now
            # forward only, except away from a future cursor a skewed clock left behind
            if row.cursor is None or cursor > row.cursor or row.cursor > at:
                row.cursor = cursor
        if state is not None:
            row.state = state


def record_failure(
    database: Database, source: str, reason: str, *, kind: str = "", at: datetime
) -> None:
    """A collection of ``source`` failed for ``reason`` (already free of secrets)."""
    with database.session() as session:
        row = _row(session, source, kind)
        row.last_attempt_at = at
        row.last_error = redact(reason)[:MAX_ERROR_LENGTH]
        row.last_error_at = at
        row.consecutive_failures = (row.consecutive_failures or 0) + 1


def source_state(database: Database, source: str) -> SourceState | None:
    """The status of one source, or ``None`` if it was never collected."""
    with database.session() as session:
        row = session.get(SourceStatus, source)
        return None if row is None else _snapshot(row)


def all_source_states(database: Database) -> list[SourceState]:
    """Every source's status, by name."""
    with database.session() as session:
        rows = session.scalars(select(SourceStatus).order_by(SourceStatus.source)).all()
        return [_snapshot(row) for row in rows]
