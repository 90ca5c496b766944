"""Incidents reach a real Alertmanager (Debian's ``prometheus-alertmanager``) and resolve there."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from golocal.bot.posting import ConsolePoster
from golocal.bot.publish import run_alerts
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.db.sources import record_failure, record_success
from golocal.jobs import selfmetrics
from golocal.jobs.alertmanager import postable_alerts
from tests.ops.processes import free_port, require_binary, server_process

AM_CONFIG = """
route:
  receiver: "null"
  group_by: ["alertname", "key"]
receivers:
  - name: "null"
"""


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    config = tmp_path / "alertmanager.yml"
    config.write_text(AM_CONFIG, encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with server_process(command, f"{base}/-/ready", log=tmp_path / "alertmanager.log"):
        yield base


def _settings(url: str) -> Settings:
    alerts = {"alertmanager_url": url, "failing_after": 2, "group_wait_seconds": 0}
    return Settings(alerts=alerts)  # type: ignore[arg-type]


def _golocal_alerts(base: str) -> list[dict[str, object]]:
    alerts = httpx.get(f"{base}/api/v2/alerts", timeout=5).json()
    return [a for a in alerts if a["labels"].get("service") == "golocal"]


def _sent(outcome: str) -> float:
    value = selfmetrics.REGISTRY.get_sample_value(
        "golocal_alertmanager_notifications_total", {"outcome": outcome}
    )
    return value or 0.0


def test_a_failing_source_fires_in_alertmanager_and_resolves_there(
    alertmanager: str, database: Database
) -> None:
    services = Services(_settings(alertmanager), database)
    now = datetime.now(UTC)
    record_failure(database, "openai", "OpenAI admin key rejected (401)", at=now)
    record_failure(database, "openai", "OpenAI admin key rejected (401)", at=now)
    sent_before = _sent("ok")
    console = io.StringIO()

    check, _ = run_alerts(services, ConsolePoster(console))

    assert [i.rule for i in check.firing] == ["source_failing"]
    assert _sent("ok") == sent_before + 1
    (alert,) = _golocal_alerts(alertmanager)
    assert alert["labels"] == {
        "alertname": "GolocalSourceFailing",
        "service": "golocal",
        "rule": "source_failing",
        "key": "openai",
        "severity": "warning",
    }
    assert "failed 2 times in a row" in alert["annotations"]["summary"]
    assert alert["status"]["state"] == "active"
    ends = datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00"))
    assert ends > datetime.now(UTC)  # held open until golocal stops re-sending it
    assert "openai" in console.getvalue()  # the console (Slack's stand-in) got it too
    firing = selfmetrics.REGISTRY.get_sample_value(
        "golocal_alerts_firing", {"rule": "source_failing"}
    )
    assert firing == 1

    record_success(database, "openai", at=datetime.now(UTC))
    check, _ = run_alerts(services, ConsolePoster(io.StringIO()))

    assert [i.rule for i in check.resolved] == ["source_failing"]
    assert _golocal_alerts(alertmanager) == []  # resolved: no longer listed as an alert
    assert (
        selfmetrics.REGISTRY.get_sample_value("golocal_alerts_firing", {"rule": "source_failing"})
        == 0
    )


def test_an_unreachable_alertmanager_is_counted_and_slack_still_gets_the_incident(
    sqlite_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"http://user:hunter2@127.0.0.1:{free_port()}"
    services = Services(_settings(dead), sqlite_database)
    now = datetime.now(UTC)
    for _ in range(2):
        record_failure(sqlite_database, "anthropic", "timeout", at=now)
    failed_before = _sent("failed")
    console = io.StringIO()

    check, _ = run_alerts(services, ConsolePoster(console))

    assert [i.rule for i in check.firing] == ["source_failing"]
    assert _sent("failed") == failed_before + 1
    assert "anthropic" in console.getvalue()
    assert "unreachable" in caplog.text
    assert "hunter2" not in caplog.text


def test_resolved_incidents_carry_their_resolve_time(sqlite_database: Database) -> None:
    from golocal.db import alerts as incidents_db

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    incident = incidents_db.fire(
        sqlite_database,
        rule="volume",
        key="2000",
        severity="warning",
        summary="over 2,000/day",
        details={},
        now=start,
    )
    resolved = incidents_db.resolve(sqlite_database, incident.id, now=start + timedelta(hours=5))
    assert resolved is not None

    (firing,) = postable_alerts([incident], now=start, interval=timedelta(minutes=1))
    (closed,) = postable_alerts([resolved], now=start, interval=timedelta(minutes=1))

    assert firing["startsAt"] == "2026-03-02T09:00:00Z"
    assert firing["endsAt"] == "2026-03-02T09:04:00Z"  # four evaluations ahead
    assert closed["endsAt"] == "2026-03-02T14:00:00Z"
    assert closed["labels"]["alertname"] == "GolocalVolume"
