"""Shared pieces of the local-telemetry collection tests: loopback servers and settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from golocal.config.settings import Settings, load_settings
from tests.fakes.prometheus import FakePrometheus
from tests.fakes.server import PROMETHEUS_TEXT, LoopbackServer

T0 = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[LoopbackServer]:
    """A scripted loopback server (the source under test)."""
    with LoopbackServer(default_content_type=PROMETHEUS_TEXT) as server:
        yield server


@pytest.fixture
def other() -> Iterator[LoopbackServer]:
    """A second loopback server (a source that must not be held up)."""
    with LoopbackServer(default_content_type=PROMETHEUS_TEXT) as server:
        yield server


def settings_for(tmp_path: Path, toml: str) -> Settings:
    """Settings read from a TOML file with this text."""
    path = tmp_path / "golocal.toml"
    path.write_text(toml)
    return load_settings(path)


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    """A fake Prometheus holding raw samples (a ``[[prometheus]]`` fleet's engine)."""
    with FakePrometheus() as server:
        yield server


def fleet_settings(tmp_path: Path, url: str) -> Settings:
    """Settings with one ``[[prometheus]]`` fleet named ``fleet`` read at 15 s steps."""
    return settings_for(
        tmp_path, f'[[prometheus]]\nname = "fleet"\nurl = "{url}"\nstep_seconds = 15\n'
    )
