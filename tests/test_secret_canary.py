"""The secret canary: every secret set to a recognisable value, every failing path driven.

golocal runs as a real process (what a user or systemd sees), against loopback fakes that
misbehave in every way that could carry a key out: LiteLLM echoing its master key in a 400
and a 404 message and as the ``type``/``code`` of a 401, OpenAI and Anthropic quoting the
admin key, GitHub quoting the token, Slack quoting the bot token, a PostgreSQL URL whose
password is the canary, a secret written into the TOML file, ``--debug``. Then stdout,
stderr, the log file and a dump of the database are searched for every canary value and
its obvious fragments (first and last 12 characters). The values are deliberately *not*
shaped like provider keys, so only value-based redaction can catch them.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.anthropic import COSTS_PATH as ANTHROPIC_COSTS
from tests.fakes.anthropic import USAGE_PATH as ANTHROPIC_USAGE
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.github import FakeGitHub
from tests.fakes.litellm import PATH as LITELLM_PATH
from tests.fakes.litellm import FakeLiteLLM
from tests.fakes.openai import USAGE_PATH as OPENAI_USAGE
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import Reply
from tests.fakes.slack_web import running_fake_slack_web

CANARIES = {
    "LITELLM_API_KEY": "CanaryLitellmMaster0a1b2c3d4e5f6a7b",
    "OPENAI_ADMIN_KEY": "CanaryOpenaiAdmin9f8e7d6c5b4a3928",
    "ANTHROPIC_ADMIN_KEY": "CanaryAnthropicAdm1122334455667788",
    "GITHUB_TOKEN": "CanaryGithubToken5566778899aabbcc",
    "SLACK_BOT_TOKEN": "CanarySlackBotTok0099887766554433",
    "SLACK_APP_TOKEN": "CanarySlackAppTok1357913579135791",
    "SLACK_SIGNING_SECRET": "CanarySlackSigning24682468246824",
}
DB_PASSWORD = "CanaryDbPassword7777aaaa5555"


def _needles() -> list[str]:
    needles = []
    for value in [*CANARIES.values(), DB_PASSWORD]:
        needles += [value, value[:12], value[-12:]]
    return needles


def _golocal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "golocal", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _dump_sqlite(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        rows = []
        for table in tables:
            if table.startswith("sqlite_"):
                continue
            rows += [repr(row) for row in connection.execute(f'SELECT * FROM "{table}"')]  # noqa: S608
        return "\n".join(rows)
    finally:
        connection.close()


def _litellm_echoes(litellm: FakeLiteLLM) -> None:
    """The gateway's next four answers quote its master key: 400, 404, 401 and 401."""
    key = CANARIES["LITELLM_API_KEY"]
    unauthorised = Reply(401, {"error": {"message": "unauthorised", "type": key, "code": key}})
    litellm.fail(
        LITELLM_PATH,
        Reply(400, {"error": {"message": f"bad request for key {key}", "type": "bad_request"}}),
        Reply(404, {"error": {"message": f"no such key {key[:12]}…", "code": "404"}}),
        unauthorised,
        unauthorised,
    )


def _echoing_faults(openai: FakeOpenAI, anthropic: FakeAnthropic, github: FakeGitHub) -> None:
    openai.fail(
        OPENAI_USAGE,
        Reply(401, {"error": {"message": f"Incorrect key {CANARIES['OPENAI_ADMIN_KEY']}"}}),
    )
    anthropic_key = CANARIES["ANTHROPIC_ADMIN_KEY"]
    anthropic.fail(
        ANTHROPIC_USAGE,
        Reply(403, {"error": {"type": anthropic_key, "message": f"{anthropic_key} denied"}}),
    )
    anthropic.fail(ANTHROPIC_COSTS, Reply(400, {"error": {"type": "x", "message": anthropic_key}}))
    github.fail(
        "/orgs/acme/copilot/metrics/reports/organization-28-day/latest",
        Reply(403, {"message": f"token {CANARIES['GITHUB_TOKEN']} lacks access"}),
    )


def test_no_canary_reaches_stdout_stderr_the_log_file_or_the_database(tmp_path):
    database = tmp_path / "golocal.db"
    litellm = FakeLiteLLM(CANARIES["LITELLM_API_KEY"]).start()
    openai = FakeOpenAI(CANARIES["OPENAI_ADMIN_KEY"]).start()
    anthropic = FakeAnthropic(CANARIES["ANTHROPIC_ADMIN_KEY"]).start()
    github = FakeGitHub(CANARIES["GITHUB_TOKEN"], "acme").start()
    config = tmp_path / "golocal.toml"
    config.write_text(
        f'[litellm]\nurl = "{litellm.url}"\n\n[copilot]\norg = "acme"\n\n'
        '[digest]\nchannel = "C0123456789"\n\n[collection]\nmax_attempts = 1\n'
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "GOLOCAL_CONFIG": str(config),
        "GOLOCAL_DATABASE_URL": f"sqlite:///{database}",
        "GOLOCAL_OPENAI_BASE_URL": openai.base_url,
        "GOLOCAL_ANTHROPIC_BASE_URL": anthropic.url,
        "GOLOCAL_GITHUB_API_URL": github.url,
        **CANARIES,
    }
    outputs: list[str] = []

    def run(*args: str, extra: dict[str, str] | None = None) -> int:
        done = _golocal({**env, **(extra or {})}, *args)
        outputs.extend([done.stdout, done.stderr])
        return done.returncode

    window = ("--since", "2026-01-05", "--until", "2026-01-07")
    try:
        with running_fake_slack_web() as slack:
            env["GOLOCAL_SLACK_API_URL"] = slack.api_url
            _litellm_echoes(litellm)
            for _ in range(3):  # LiteLLM's 400, 404 and 401, one per run
                _echoing_faults(openai, anthropic, github)
                assert run("collect", *window) == 1
            _echoing_faults(openai, anthropic, github)
            assert run("--debug", "collect", *window) == 1
            assert run("sources", "--json") == 0
            assert run("sources") == 0
            slack.fail_next(
                "chat.postMessage",
                status=200,
                error=f"invalid_auth {CANARIES['SLACK_BOT_TOKEN']}",
                retry_after=None,
                times=5,
            )
            assert run("digest", "--post", "--week", "2026-W02") == 1
    finally:
        for fake in (litellm, openai, anthropic, github):
            fake.stop()
    # a PostgreSQL server that is not there, reached with the canary password
    closed = f"postgresql://golocal:{DB_PASSWORD}@127.0.0.1:9/golocal"
    assert run("sources", extra={"GOLOCAL_DATABASE_URL": closed}) == 1
    assert run("--debug", "sources", extra={"GOLOCAL_DATABASE_URL": closed}) == 1
    # a secret written into the TOML file is refused without being repeated
    leaky = tmp_path / "leaky.toml"
    leaky.write_text(f'OpenAI_Admin_Key = "{CANARIES["OPENAI_ADMIN_KEY"]}"\n')
    assert run("sources", extra={"GOLOCAL_CONFIG": str(leaky)}) == 2

    stdout_stderr = "\n".join(outputs)
    assert "check LITELLM_API_KEY" in stdout_stderr  # the failing paths really ran
    assert "refused GET /user/daily/activity (400)" in stdout_stderr
    assert "refused GET /user/daily/activity (404)" in stdout_stderr
    assert "invalid_auth" in stdout_stderr
    assert "127.0.0.1:9" in stdout_stderr
    log_file = tmp_path / "state" / "golocal" / "golocal.log"
    logged = log_file.read_text()
    assert "litellm: collection failed" in logged  # the failures were logged there too
    dump = _dump_sqlite(database)
    assert "litellm" in dump and "[redacted]" in dump  # stored errors were read back
    for where, text in (("output", stdout_stderr), ("log file", logged), ("database", dump)):
        leaked = [needle for needle in _needles() if needle in text]
        assert not leaked, f"{where} leaks {leaked}"


@pytest.mark.parametrize("name", ["Slack_Bot_Token", "OPENAI_ADMIN_KEY", "github-token"])
def test_a_secret_in_the_toml_file_is_refused_whatever_its_case(tmp_path, name):
    from golocal.config.settings import ConfigError, load_settings

    config = tmp_path / "golocal.toml"
    config.write_text(f'{name} = "CanaryInAFile0123456789"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert "secrets are read only from the environment" in refused.value.message
    assert "CanaryInAFile" not in refused.value.message
