"""The factory, its checks, the redelivery filter and ``golocal run`` in Slack modes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import httpx
import pytest

from golocal.bot.cli import main
from golocal.bot.services import Services
from golocal.bot.slack.app import create_app
from golocal.bot.slack.dedup import RedeliveryFilter
from golocal.bot.slack.http import parse_address
from golocal.config.settings import ConfigError, load_settings
from golocal.errors import GolocalError, UsageError
from tests.bot.slack.conftest import SIGNING_SECRET, sign, slash_command
from tests.fakes.slack_web import FakeSlackWeb


def test_redelivery_filter_remembers_for_its_window() -> None:
    now = [0.0]
    seen = RedeliveryFilter(60, clock=lambda: now[0])
    assert seen.first_delivery("Ev1")
    assert not seen.first_delivery("Ev1")
    assert seen.first_delivery("Ev2")
    now[0] = 61.0
    assert seen.first_delivery("Ev1")


def test_redelivery_filter_is_bounded() -> None:
    seen = RedeliveryFilter(600, max_keys=3)
    for key in ("a", "b", "c", "d"):
        assert seen.first_delivery(key)
    assert seen.first_delivery("a")  # evicted as the oldest


@pytest.mark.parametrize(
    ("address", "expected"),
    [("127.0.0.1:3000", ("127.0.0.1", 3000)), ("[::1]:8080", ("::1", 8080))],
)
def test_parse_address(address: str, expected: tuple[str, int]) -> None:
    assert parse_address(address) == expected


@pytest.mark.parametrize("address", ["3000", "host:", "host:99999", ":80", "host:abc"])
def test_parse_address_rejects(address: str) -> None:
    with pytest.raises(UsageError, match="HOST:PORT"):
        parse_address(address)


def test_admins_must_be_user_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLOCAL_SLACK__ADMINS", json.dumps(["alice"]))
    with pytest.raises(ConfigError, match=r"slack.admins.*not a Slack user id"):
        load_settings()


def test_http_mode_needs_the_signing_secret(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    settings = load_settings()
    with pytest.raises(GolocalError, match="SLACK_SIGNING_SECRET is not set"):
        create_app(settings, services, http_mode=True)


def test_rejected_token_is_reported_without_the_token(
    services: Services, fake_slack_web: FakeSlackWeb
) -> None:
    fake_slack_web.fail_next("auth.test", status=200, error="invalid_auth", retry_after=None)
    with pytest.raises(GolocalError) as raised:
        create_app(services.settings, services)
    assert "invalid_auth" in raised.value.message
    assert "xoxb" not in raised.value.message


def test_unreachable_slack_is_reported(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLOCAL_SLACK_API_URL", "http://127.0.0.1:9/api/")
    settings = load_settings()
    with pytest.raises(GolocalError, match="cannot start the Slack app"):
        create_app(settings, services)


def _golocal(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    return int(exited.value.code or 0), capsys.readouterr().err


def test_run_socket_without_app_token_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    code, err = _golocal(["run", "--socket"], capsys)
    assert code == 1
    assert "SLACK_APP_TOKEN is not set" in err


def test_run_http_with_a_bad_address_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _golocal(["run", "--http", "nonsense"], capsys)
    assert code == 2
    assert "HOST:PORT" in err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_golocal_run_http_serves_signed_slash_commands(
    fake_slack_web: FakeSlackWeb, database_url: str
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "GOLOCAL_DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    command = [
        sys.executable,
        "-c",
        "from golocal.bot.cli import main; main()",
        "run",
        "--http",
        f"127.0.0.1:{port}",
    ]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "golocal run --http did not start"
            time.sleep(0.1)
        body = urlencode(slash_command(fake_slack_web.response_url("run")))
        response = httpx.post(
            url + "/slack/events",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
        )
        assert response.status_code == 200
        [call] = fake_slack_web.wait_for("response_url")
        assert "I can answer" in call.args["text"]
    finally:
        process.terminate()
        process.wait(10)
