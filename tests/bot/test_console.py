"""Console mode: the bot on a terminal or a pipe, through the same handlers."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from golocal.bot.console import ConsoleAdapter
from golocal.bot.services import Services
from golocal.config.settings import load_settings
from golocal.jobs.demo import DemoOptions, generate_demo

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def console(database, text, *, interactive=False, load_demo=None):
    services = Services(load_settings(), database, clock=lambda: NOW)
    out = io.StringIO()
    adapter = ConsoleAdapter(
        services, io.StringIO(text), out, interactive=interactive, load_demo=load_demo
    )
    adapter.greet()
    adapter.loop()
    return out.getvalue()


def test_piped_questions_are_answered_until_quit(database):
    generate_demo(database, DemoOptions(days=10, profile="team", minute_days=1), now=NOW)
    output = console(database, "how many requests per day?\n\nquit\nvolume\n")
    assert output.count("Requests per day over") == 1  # nothing after quit
    assert "Zone: " in output
    assert "golocal>" not in output  # no prompt on a pipe


def test_end_of_input_exits_cleanly_and_unknown_questions_get_help(database):
    output = console(database, "tell me a joke\n")
    assert "Sorry, I don't understand" in output
    assert "how many requests per day?" in output


def test_empty_database_says_how_to_load_demo_data(database):
    output = console(database, "")
    assert "golocal demo" in output


def test_interactive_empty_database_offers_demo_data(database):
    loaded = []

    def load():
        loaded.append(True)
        generate_demo(database, DemoOptions(days=8, profile="small", minute_days=1), now=NOW)
        return "Loaded demo data"

    output = console(
        database, "y\nhow many requests per day?\nexit\n", interactive=True, load_demo=load
    )
    assert loaded == [True]
    assert "Load 30 days of demo data? [y/N]" in output
    assert "golocal> " in output
    assert "Requests per day over" in output


def test_handler_errors_become_replies_not_crashes(database, monkeypatch):
    from golocal.bot.handlers import volume

    def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(volume, "load_ledger", broken)
    output = console(database, "volume\nhelp\n")
    assert "Something went wrong, logged as" in output
    assert "database on fire" not in output
    assert "I can answer" in output


def test_golocal_run_as_a_real_process_on_a_pipe(tmp_path: Path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOLOCAL_", "SLACK_"))
    }
    env["GOLOCAL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'bot.db'}"
    completed = subprocess.run(
        [sys.executable, "-m", "golocal", "run"],
        input="how many requests per day?\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "golocal demo" in completed.stdout
    assert "No usage data" in completed.stdout
    assert (tmp_path / "bot.db").exists()
