"""The composition root's product: what a handler or command needs, passed explicitly."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from golocal.config.settings import Settings
from golocal.db.database import Database


def local_user() -> str:
    """The operating-system user at the keyboard (who declared an answer from the console)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME/USER
        return "unknown"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """Who asks: a name for the record (user name, Slack user id), the surface, and whether
    they may change declared answers (console and ``golocal ask`` users may; in Slack only
    the configured admins)."""

    name: str
    surface: str
    may_change_answers: bool


@dataclass(frozen=True)
class Services:
    """Settings, the database, a clock (replaceable in tests) and who is asking."""

    settings: Settings
    database: Database
    clock: Callable[[], datetime] = field(default=_utc_now)
    actor: Actor | None = None

    def now(self) -> datetime:
        """The current time, aware UTC."""
        return self.clock()
