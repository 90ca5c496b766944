"""``golocal run --console`` starts the schedule beside the chat and stops it on exit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from golocal.bot.cli import main


def test_run_console_schedules_jobs_and_exits_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("quit\n"))
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--console"])
    assert exit_info.value.code == 0
    engine = create_engine(url)
    with engine.connect() as connection:
        ids = {row[0] for row in connection.execute(text("SELECT id FROM apscheduler_jobs"))}
    engine.dispose()
    assert ids == {"alerts", "digest", "digest_retry"}


def test_run_without_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", url)
    monkeypatch.setenv("GOLOCAL_SCHEDULE__ENABLED", "false")
    monkeypatch.setattr("sys.stdin", io.StringIO("quit\n"))
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--console"])
    assert exit_info.value.code == 0
    engine = create_engine(url)
    with engine.connect() as connection:
        tables = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master"))}
    engine.dispose()
    assert "apscheduler_jobs" not in tables and "digest_posts" in tables
