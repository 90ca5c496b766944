"""Local servers' aborted and failed requests in ``report volume`` and the chat's volume answer.

A vLLM server tells its outcomes apart (``finished_reason``); llama.cpp does not, so its
outcomes are unknown (null), never 0.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from golocal.bot.handlers.volume import answer_volume
from golocal.bot.services import Services
from golocal.db.database import Database
from golocal.jobs.telemetry import collect_telemetry
from tests.cli_runner import run_golocal
from tests.fakes.inference_servers import VllmEngine, llamacpp_metrics, vllm_metrics
from tests.fakes.server import LoopbackServer, Reply
from tests.jobs.telemetry_fixtures import T0, fake, other, settings_for

__all__ = ["fake", "other"]  # fixtures

DAY = ("--since", "2026-03-02", "--until", "2026-03-03")


def _collect(database: Database, tmp_path: Path, servers: dict[str, tuple[str, str]]):
    """Two scrapes, 15 s apart, of each ``name: (kind, url)`` server."""
    settings = settings_for(
        tmp_path,
        "".join(
            f'[[inference_servers]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\n'
            for name, (kind, url) in servers.items()
        ),
    )
    for step in range(2):
        collect_telemetry(database, settings, now=T0 + timedelta(seconds=15 * step))
    return settings


def _vllm(**success: float) -> str:
    return vllm_metrics([VllmEngine(engine=0, success=dict(success), prompt_tokens=1000.0)])


@pytest.fixture
def servers(
    database: Database,
    database_url: str,
    fake: LoopbackServer,
    other: LoopbackServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """vLLM: 93 requests (30 of them aborted) and 5 errors; llama.cpp: outcomes unknown."""
    fake.script(
        "/metrics",
        Reply(body=_vllm(stop=100, abort=20, error=3)),
        Reply(body=_vllm(stop=163, abort=50, error=8)),
    )
    other.script(
        "/metrics",
        Reply(body=llamacpp_metrics(1000, 100, 1, 0)),
        Reply(body=llamacpp_metrics(1400, 150, 1, 0)),
    )
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    return _collect(
        database, tmp_path, {"vbox": ("vllm", fake.url), "lbox": ("llamacpp", other.url)}
    )


def test_report_volume_json_shows_aborted_and_failed_and_unknown_as_null(
    servers, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_golocal(capsys, "report", "volume", *DAY, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    (day,) = report["days"]
    vbox, lbox = day["by_source"]["vbox"], day["by_source"]["lbox"]
    assert vbox["requests"] == 93  # the 30 aborted are requests; the 5 errors are not
    assert (vbox["aborted_requests"], vbox["failed_requests"]) == (30, 5)
    assert vbox["error_rate"] == round(5 / 98, 6)
    assert (lbox["aborted_requests"], lbox["failed_requests"], lbox["error_rate"]) == (
        None,
        None,
        None,
    )
    # llama.cpp's requests are not in the error rate's base: its failures are unknown
    expected = {
        "local_aborted_requests": 30,
        "local_failed_requests": 5,
        "local_error_rate": round(5 / 98, 6),
    }
    assert {key: day[key] for key in expected} == expected
    assert {key: report["totals"][key] for key in expected} == expected


def test_report_volume_text_and_csv_show_the_outcomes(
    servers, capsys: pytest.CaptureFixture[str]
) -> None:
    text = run_golocal(capsys, "report", "volume", *DAY)
    assert text.exit_code == 0, text.stderr
    assert "local aborted" in text.stdout and "local failed" in text.stdout
    assert "5 (5.10%)" in text.stdout
    csv = run_golocal(capsys, "report", "volume", *DAY, "--csv").stdout.splitlines()
    header = csv[0].split(",")
    rows = {line.split(",")[1]: dict(zip(header, line.split(","), strict=True)) for line in csv[1:]}
    assert (rows["vbox"]["aborted_requests"], rows["vbox"]["failed_requests"]) == ("30", "5")
    assert (rows["lbox"]["aborted_requests"], rows["lbox"]["failed_requests"]) == ("", "")


def test_chat_volume_answer_has_one_line_on_aborted_and_failed(servers, database: Database) -> None:
    services = Services(servers, database, clock=lambda: T0 + timedelta(days=1))
    reply = answer_volume.handler("usage yesterday", services)
    lines = [line for line in reply.text.splitlines() if line.startswith("Local servers:")]
    assert lines == [
        "Local servers: 30 aborted by the client (counted as requests), "
        "5 failed (not counted; error rate 5.10%)."
    ]
    assert reply.data["totals"]["local_failed_requests"] == 5


def test_a_server_without_outcomes_shows_unknown_not_zero(
    database: Database,
    database_url: str,
    other: LoopbackServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other.script(
        "/metrics",
        Reply(body=llamacpp_metrics(1000, 100, 1, 0)),
        Reply(body=llamacpp_metrics(1400, 150, 1, 0)),
    )
    settings = _collect(database, tmp_path, {"lbox": ("llamacpp", other.url)})
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    report = json.loads(run_golocal(capsys, "report", "volume", *DAY, "--json").stdout)
    totals = report["totals"]
    assert (totals["local_aborted_requests"], totals["local_failed_requests"]) == (None, None)
    assert totals["local_error_rate"] is None
    text = run_golocal(capsys, "report", "volume", *DAY).stdout
    assert "local failed" in text and "—" in text
    services = Services(settings, database, clock=lambda: T0 + timedelta(days=1))
    reply = answer_volume.handler("usage yesterday", services)
    assert "Local servers:" not in reply.text
