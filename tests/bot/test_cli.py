"""The command line as a user meets it: help, exit codes, one-line errors, JSON contracts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import click
import pytest

from golocal.bot.cli import cli
from golocal.db.usage import upsert_usage_buckets
from tests.cli_runner import run_golocal


def all_command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # loads lazily registered commands too
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            paths += all_command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


@pytest.mark.parametrize("path", all_command_paths(cli), ids=lambda p: " ".join(p) or "golocal")
def test_every_help_works_without_database_or_network(path, capsys, monkeypatch, tmp_path):
    # an unreachable database and a broken config file: --help must touch neither
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", "postgresql://u:p@127.0.0.1:1/nowhere")
    bad = tmp_path / "bad.toml"
    bad.write_text("[thresholds]\ncloud_ok_below = 'x'\n")
    monkeypatch.setenv("GOLOCAL_CONFIG", str(bad))
    result = run_golocal(capsys, *path, "--help")
    assert result.exit_code == 0, result.stderr
    assert "Usage: golocal" in result.stdout
    assert result.stderr == ""


def test_unknown_command_and_flag_exit_2_with_usage(capsys):
    unknown = run_golocal(capsys, "frobnicate")
    assert unknown.exit_code == 2
    assert "Usage:" in unknown.stderr and "No such command" in unknown.stderr
    flag = run_golocal(capsys, "report", "volume", "--frob")
    assert flag.exit_code == 2
    assert "No such option" in flag.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--since", "2026-13-01", "--until", "2026-12-01"],
            "error: --since: '2026-13-01' is not a date (expected YYYY-MM-DD)",
        ),
        (
            ["--since", "2026-03-05", "--until", "2026-03-01"],
            "error: --since 2026-03-05 must be before --until 2026-03-01 (--until is exclusive)",
        ),
        (
            ["--since", "yesterday"],
            "error: --since: 'yesterday' is not a date (expected YYYY-MM-DD)",
        ),
    ],
)
def test_bad_dates_give_one_line_and_exit_2(args, message, capsys):
    result = run_golocal(capsys, "report", "volume", *args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message


def test_unreachable_database_is_one_line_exit_1_without_password(capsys, monkeypatch):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", "postgresql://golocal:hunter2@127.0.0.1:1/golocal")
    result = run_golocal(capsys, "report", "volume")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "127.0.0.1:1" in lines[0]
    assert "hunter2" not in result.stderr + result.stdout


def test_report_volume_json_contract(database, database_url, capsys, monkeypatch):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    day = datetime(2026, 3, 2, tzinfo=UTC)
    upsert_usage_buckets(
        database,
        [
            {
                "source": "openai",
                "bucket_start": day,
                "bucket_seconds": 86400,
                "location": "cloud",
                "model": "gpt-4.1",
                "requests": 1040,
                "input_tokens": 1_800_000,
                "output_tokens": 350_000,
                "cost_usd": Decimal("18.2405"),
            },
            {
                "source": "coder",
                "bucket_start": day,
                "bucket_seconds": 3600,
                "location": "local",
                "requests": 272,
                "input_tokens": 410_000,
                "output_tokens": 65_000,
            },
        ],
    )
    result = run_golocal(
        capsys, "report", "volume", "--since", "2026-03-02", "--until", "2026-03-05", "--json"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["since"], data["until"]) == ("2026-03-02", "2026-03-05")
    assert [d["day"] for d in data["days"]] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    first = data["days"][0]
    assert {
        key: first[key]
        for key in (
            "requests",
            "cloud_requests",
            "local_requests",
            "requests_estimated",
            "input_tokens",
            "output_tokens",
            "cost_usd",
            "cost_estimated",
        )
    } == {
        "requests": 1312,
        "cloud_requests": 1040,
        "local_requests": 272,
        "requests_estimated": False,
        "input_tokens": 2_210_000,
        "output_tokens": 415_000,
        "cost_usd": "18.2405",
        "cost_estimated": False,
    }
    assert first["by_source"]["openai"]["location"] == "cloud"
    assert first["by_source"]["coder"]["cost_usd"] is None
    assert data["days"][1]["requests"] == 0
    totals = data["totals"]
    assert totals["requests"] == 1312
    assert totals["cost_usd"] == "18.2405"
    # one "mean per day": over the complete days with data, not over empty days as zeros
    assert totals["mean_requests_per_day"] == 1312.0
    assert totals["mean_days"] == 1
    assert (totals["peak_day"], totals["peak_requests"]) == ("2026-03-02", 1312)


def test_report_volume_table_is_readable(database_url, capsys, monkeypatch):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    result = run_golocal(
        capsys, "report", "volume", "--since", "2026-03-02", "--until", "2026-03-04"
    )
    assert result.exit_code == 0, result.stderr
    assert "2026-03-02 Mon" in result.stdout
    assert "no data" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes when piped


def test_ask_json_and_text_go_through_the_chat_handlers(capsys, tmp_path):
    help_reply = run_golocal(capsys, "ask", "what is the meaning of life")
    assert help_reply.exit_code == 0
    assert "I can answer" in help_reply.stdout
    assert "how many requests per day?" in help_reply.stdout

    result = run_golocal(capsys, "ask", "how many requests per day?", "--json")
    data = json.loads(result.stdout)
    assert data["intent"] == "volume"
    assert len(data["days"]) == 7
    assert "No usage data" in data["text"]


def test_demo_then_ask_answers_from_the_database(capsys):
    loaded = run_golocal(capsys, "demo", "--days", "10", "--profile", "small")
    assert loaded.exit_code == 0, loaded.stderr
    assert "demo:" in loaded.stdout
    assert loaded.stderr == ""  # no progress bar when not on a terminal
    result = run_golocal(capsys, "ask", "how many requests per day?", "--json")
    data = json.loads(result.stdout)
    assert data["totals"]["requests"] > 0
    assert data["zone"] in {"below", "between", "above"}
    cleared = run_golocal(capsys, "demo", "--clear")
    assert cleared.exit_code == 0
    after = json.loads(run_golocal(capsys, "ask", "volume", "--json").stdout)
    assert after["totals"]["requests"] == 0


def test_db_upgrade_on_fresh_sqlite(capsys):
    result = run_golocal(capsys, "db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert "upgraded from empty" in result.stdout


def test_unexpected_errors_show_an_id_not_a_traceback(capsys, monkeypatch):
    from golocal.bot.commands import report

    def explode(*_args, **_kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(report, "volume_report", explode)
    result = run_golocal(capsys, "report", "volume")
    assert result.exit_code == 1
    assert "something went wrong, logged as" in result.stderr
    assert "Traceback" not in result.stderr
    assert "kaboom" not in result.stderr
