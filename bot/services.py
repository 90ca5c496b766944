"""The composition root's product: what a handler or command needs, passed explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from golocal.config.settings import Settings
from golocal.db.database import Database


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """Settings, the database and a clock (replaceable in tests)."""

    settings: Settings
    database: Database
    clock: Callable[[], datetime] = field(default=_utc_now)

    def now(self) -> datetime:
        """The current time, aware UTC."""
        return self.clock()
