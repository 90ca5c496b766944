"""Fixtures for the collector tests: settings pointed at loopback fakes, a recording sleep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from golocal.config.settings import Settings, load_settings
from golocal.db.database import Database
from golocal.jobs.collect import CollectRequest

#: a fixed "now" for the collector tests: 2026-03-10 12:00 UTC
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class Sleeps(list[float]):
    """A sleep function that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Settings]:
    """Settings from environment variables (and an optional TOML text)."""

    def build(toml: str = "", **env: str) -> Settings:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        path = None
        if toml:
            path = tmp_path / "golocal.toml"
            path.write_text(toml)
        return load_settings(path)

    return build


@pytest.fixture
def make_request(database: Database, sleeps: Sleeps) -> Callable[..., CollectRequest]:
    """A collection request on the test database with the recording sleep."""

    def build(
        settings: Settings,
        since: date | None = None,
        until: date | None = None,
        now: datetime = NOW,
    ) -> CollectRequest:
        return CollectRequest(
            settings=settings, database=database, now=now, since=since, until=until, sleep=sleeps
        )

    return build
