"""Configuration strictness: every bad value stops golocal with exit 2 before it does work."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest

from tests.cli_runner import run_golocal
from tests.fakes.openai import USAGE_PATH, FakeOpenAI
from tests.fakes.server import Reply


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        (
            "GOLOCAL_THRESHOLD__CLOUD_OK_BELOW",
            "400",
            "unknown environment variable GOLOCAL_THRESHOLD__CLOUD_OK_BELOW: no setting "
            "'threshold' (did you mean thresholds?)",
        ),
        (
            "GOLOCAL_THRESHOLDS__CLOUD_OK_BELOWW",
            "400",
            "GOLOCAL_THRESHOLDS__CLOUD_OK_BELOWW: in thresholds: no setting 'cloud_ok_beloww'",
        ),
        ("GOLOCAL_LOGLEVEL", "INFO", "no setting 'loglevel' (did you mean log_level?)"),
        ("GOLOCAL_DATABASE_URL", "mysql://root:pw-secret@db/golocal", "scheme 'mysql'"),
        ("GOLOCAL_DATABASE_URL", "golocal.db", "scheme 'none'"),
        ("GOLOCAL_OPENAI_BASE_URL", "ftp://api.openai.com", "is not an http(s) URL"),
        ("GOLOCAL_SLACK_API_URL", "http://slack:notaport/api/", "is not a valid http(s) URL"),
        ("GOLOCAL_AGENT__LISTEN", "127.0.0.1:notaport", "is not HOST:PORT"),
        ("GOLOCAL_LOG_LEVEL", "LOUD", "log_level: must be one of DEBUG"),
    ],
)
def test_a_bad_environment_exits_2_before_any_work(
    name, value, said, capsys, monkeypatch, tmp_path
):
    database = tmp_path / "golocal.db"
    if name != "GOLOCAL_DATABASE_URL":
        monkeypatch.setenv("GOLOCAL_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv(name, value)
    result = run_golocal(capsys, "report", "volume")
    assert result.exit_code == 2
    assert said in result.stderr
    assert result.stderr.startswith("config error: ")
    assert "pw-secret" not in result.stderr
    assert not database.exists()  # nothing was opened, created or migrated


def test_reserved_and_known_variables_are_accepted(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", f"sqlite:///{tmp_path / 'golocal.db'}")
    monkeypatch.setenv("GOLOCAL_TEST_ANYTHING", "1")
    monkeypatch.setenv("GOLOCAL_THRESHOLDS__CLOUD_OK_BELOW", "400")
    monkeypatch.setenv("GOLOCAL_DIGEST_CHANNEL", "C0123456789")
    assert run_golocal(capsys, "report", "volume").exit_code == 0


def test_run_with_a_bad_http_address_exits_2_before_any_work(capsys, monkeypatch, tmp_path):
    database = tmp_path / "golocal.db"
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", f"sqlite:///{database}")
    result = run_golocal(capsys, "run", "--http", "127.0.0.1:notaport")
    assert result.exit_code == 2
    assert "'127.0.0.1:notaport' is not HOST:PORT" in result.stderr
    assert not database.exists()  # no schedule started, no digest posted, nothing collected


def _golocal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "golocal", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_log_level_applies(tmp_path):
    key = "sk-admin-log-level-0123456789"
    fake = FakeOpenAI(key).start()
    fake.add_usage(date(2026, 1, 5), "gpt-4o", "proj_a")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "GOLOCAL_DATABASE_URL": f"sqlite:///{tmp_path / 'golocal.db'}",
        "OPENAI_ADMIN_KEY": key,
        "GOLOCAL_OPENAI_BASE_URL": fake.base_url,
        "GOLOCAL_COLLECTION__BACKOFF_INITIAL_S": "0",
    }
    args = ("collect", "openai", "--since", "2026-01-05", "--until", "2026-01-06")
    try:
        fake.fail(USAGE_PATH, Reply(503))
        quiet = _golocal(env, *args)
        fake.fail(USAGE_PATH, Reply(503))
        chatty = _golocal({**env, "GOLOCAL_LOG_LEVEL": "info"}, *args)
    finally:
        fake.stop()
    assert quiet.returncode == 0 and chatty.returncode == 0, chatty.stderr
    assert "503 on GET" not in quiet.stderr
    assert "INFO golocal.jobs.http_client: OpenAI: 503 on GET" in chatty.stderr
