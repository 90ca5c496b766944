"""``golocal run --console`` starts the schedule beside the chat and stops it on exit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from golocal.bot.cli import main


def _run_console_then_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: str
) -> set[str]:
    """``golocal run --console`` on a fresh SQLite file, quit at once; then ``query``'s values."""
    url = f"sqlite:///{tmp_path / 'run.db'}"
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("quit\n"))
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--console"])
    assert exit_info.value.code == 0
    engine = create_engine(url)
    with engine.connect() as connection:
        values = {row[0] for row in connection.execute(text(query))}
    engine.dispose()
    return values


def test_run_console_schedules_jobs_and_exits_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _run_console_then_query(tmp_path, monkeypatch, "SELECT id FROM apscheduler_jobs")
    assert ids == {
        "alerts",
        "collect_cloud",
        "collect_telemetry",
        "digest",
        "digest_retry",
        "rollups",
    }


def test_run_without_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOLOCAL_SCHEDULE__ENABLED", "false")
    tables = _run_console_then_query(tmp_path, monkeypatch, "SELECT name FROM sqlite_master")
    assert "apscheduler_jobs" not in tables and "digest_posts" in tables


def test_scheduled_collection_runs_every_configured_source(sqlite_database) -> None:
    from datetime import UTC, datetime

    from golocal.bot.publish import collection_runners
    from golocal.bot.services import Services
    from golocal.config.settings import load_settings
    from golocal.jobs.schedule import COLLECT

    now = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    services = Services(load_settings(None), sqlite_database, clock=lambda: now)
    runner = collection_runners(services)[COLLECT]
    results = runner()
    # no admin key in the environment: every source is reported as not configured, none fails
    assert results and all(not r.configured and r.ok for r in results)
    assert {r.source for r in results} >= {"openai", "anthropic"}
