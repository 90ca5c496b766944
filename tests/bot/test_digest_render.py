"""The digest's JSON contract, text, Block Kit (within Slack's limits) and chart PNG."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from golocal.bot.render.chart import render_digest_chart
from golocal.bot.render.digest import MAX_BLOCKS, digest_blocks, digest_text
from golocal.config.settings import Budget, load_settings
from golocal.db.database import Database
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.demo import DemoOptions, generate_demo
from golocal.jobs.digest import build_digest, last_complete_week, parse_week, week_range
from tests.cli_runner import run_golocal

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _row(day: int, requests: int | None, location: str = "cloud", **extra: object) -> dict:
    return {
        "source": f"src-{location}",
        "bucket_start": datetime(2026, 3, day, tzinfo=UTC),
        "bucket_seconds": 86400,
        "location": location,
        "provider": "openai" if location == "cloud" else "vllm",
        "model": "gpt-4.1" if location == "cloud" else "qwen",
        "requests": requests,
        **extra,
    }


def test_week_parsing() -> None:
    assert parse_week(" 2026-w09 ") == "2026-W09"
    assert week_range("2026-W10")[0].isoformat() == "2026-03-02"
    assert parse_week("2026-W53") == "2026-W53"  # 2026 starts on a Thursday
    with pytest.raises(ValueError, match="no week 53"):
        parse_week("2027-W53")
    with pytest.raises(ValueError, match="not an ISO week"):
        parse_week("2026-10")
    assert last_complete_week(NOW, load_settings(None).tz) == "2026-W10"


def test_digest_json_contract_and_figures(database: Database) -> None:
    rows = [_row(day, 2100 if day == 4 else 400) for day in range(2, 9)]
    rows += [_row(day, 300, "local") for day in range(2, 9)]
    rows[0]["cost_usd"] = Decimal("10.00")
    rows[1]["cost_usd"] = Decimal("5.125")
    rows[1]["cost_estimated"] = True
    rows.append(
        _row(5, None, model="mystery", input_tokens=5000, output_tokens=0)
        | {"source": "anthropic", "provider": "anthropic"}
    )
    previous = _row(24, 100) | {
        "bucket_start": datetime(2026, 2, 24, tzinfo=UTC),
        "cost_usd": Decimal("10"),
    }
    upsert_usage_buckets(database, [*rows, previous])
    settings = load_settings(None).model_copy(update={"budget": Budget(monthly_usd=Decimal(100))})
    digest = build_digest(database, settings, "2026-W10", now=NOW, break_even=lambda s, u: 1234.5)
    data = json.loads(json.dumps(digest.data))  # JSON-serialisable as it is
    assert {"week", "days", "warnings", "spend", "gpus", "open_alerts"} <= set(data)
    assert data["week"] == "2026-W10" and len(data["days"]) == 7
    monday, wednesday = data["days"][0], data["days"][2]
    assert (monday["cloud_requests"], monday["local_requests"], monday["zone"]) == (
        400,
        300,
        "between",
    )
    assert (wednesday["requests"], wednesday["zone"]) == (2400, "above")
    assert data["zone_days"] == {"below": 0, "between": 6, "above": 1, "no_data": 0}
    (warning,) = data["warnings"]
    assert (warning["level"], warning["measure"]) == ("run_cost_model", "peak")
    assert "break-even 1,234/day vs actual mean" in warning["message"]
    spend = data["spend"]
    assert spend["total_usd"] == "15.1250"
    assert spend["previous_total_usd"] == "10.0000"
    assert spend["change_pct"] == 51.2
    assert spend["estimated_usd"] == "5.1250"
    assert spend["unpriced_buckets"] == 6  # NULL cost: unpriced, never counted as 0
    assert data["budget"]["month_to_date_usd"] == "15.1250"
    assert data["gpus"]["count"] == 0


def test_text_blocks_and_chart_within_limits(database: Database, tmp_path: Path) -> None:
    generate_demo(database, DemoOptions(days=21, profile="small"), now=NOW)
    digest = build_digest(database, load_settings(None), "2026-W10", now=NOW)
    text = digest_text(digest.data)
    assert "2026-W10" in text and "Requests/day: mean" in text and "demo data" in text
    blocks = digest_blocks(digest.data)
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    png = render_digest_chart(digest.data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert 600 <= width <= 2000 and 300 <= height <= 1200
    assert 10_000 < len(png) < 1_000_000


def test_blocks_stay_within_limits_with_huge_inputs() -> None:
    days = [
        {
            "day": f"2026-03-0{i + 2}",
            "weekday": "Mon",
            "cloud_requests": 10**9,
            "local_requests": 10**9,
            "requests": 2 * 10**9,
            "requests_estimated": False,
            "has_data": True,
            "zone": "above",
        }
        for i in range(7)
    ]
    long_alert = {"summary": "x" * 5000}
    data = {
        "week": "2026-W10",
        "since": "2026-03-02",
        "until": "2026-03-09",
        "days": days,
        "zone_days": {"below": 0, "between": 0, "above": 7, "no_data": 0},
        "volume": {
            "mean_requests_per_day": 2e9,
            "peak_requests": 2 * 10**9,
            "peak_day": "2026-03-02",
            "zone": "above",
            "days_with_data": 7,
            "requests_estimated": False,
        },
        "trend": {"previous_weeks": [], "previous_mean_requests_per_day": None, "change_pct": None},
        "warnings": [{"message": "w" * 4000}] * 80,
        "spend": {
            "total_usd": None,
            "previous_total_usd": None,
            "change_pct": None,
            "estimated_usd": None,
            "unpriced_buckets": 0,
            "by_provider": [],
            "by_model": [],
            "by_team": [],
        },
        "gpus": {"count": 0},
        "open_alerts": [long_alert] * 3,
        "sources": {"failing": [], "stale": []},
    }
    blocks = digest_blocks(data)
    assert len(blocks) == MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def _golocal(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", url)
    result = run_golocal(capsys, *args)
    return result.exit_code, result.stdout, result.stderr


def test_digest_command_json_and_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    chart = tmp_path / "week.png"
    code, out, _ = _golocal(
        ["digest", "--week", "2026-W10", "--format", "json", "--chart", str(chart)],
        capsys,
        monkeypatch,
        url,
    )
    assert code == 0
    data = json.loads(out)
    assert data["week"] == "2026-W10" and [d["zone"] for d in data["days"]] == [None] * 7
    assert chart.read_bytes().startswith(b"\x89PNG")
    code, _, err = _golocal(["digest", "--week", "2026-W99"], capsys, monkeypatch, url)
    assert code == 2 and "no week 99" in err
    code, out, _ = _golocal(
        ["digest", "--week", "2026-W10", "--format", "blocks"], capsys, monkeypatch, url
    )
    assert json.loads(out)["blocks"][0]["type"] == "header"
    code, _, err = _golocal(["digest", "--post"], capsys, monkeypatch, url)
    assert code == 2 and "SLACK_BOT_TOKEN" in err


def test_alerts_check_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code, out, _ = _golocal(["alerts", "check", "--json"], capsys, monkeypatch, url)
    assert code == 0
    data = json.loads(out)
    assert data["incidents"] == [] and data["notified"] == []
    assert any("days of data needed" in note for note in data["notes"])


def test_digest_command_shows_the_advisors_break_even(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from golocal.db.database import open_database

    url = f"sqlite:///{tmp_path / 'advisor.db'}"
    database = open_database(url)
    generate_demo(database, DemoOptions(days=14, profile="small"), now=NOW)
    database.dispose()
    code, out, _ = _golocal(
        ["digest", "--week", "2026-W10", "--format", "json"], capsys, monkeypatch, url
    )
    assert code == 0
    data = json.loads(out)
    break_even = data["break_even_requests_per_day"]
    assert break_even is not None and break_even > 0
    assert data["gpus"]["count"] == 1
    assert Decimal(data["gpus"]["energy_cost_usd"]) > 0
    code, text, _ = _golocal(["digest", "--week", "2026-W10"], capsys, monkeypatch, url)
    assert f"Break-even (cost model): {break_even:,.0f}/day" in text


def test_the_digest_forecast_line_gives_weeks_bands_and_spend_or_says_too_little():
    from golocal.bot.render.digest import forecast_text

    enough = {
        "enough_history": True,
        "history_weeks": 12,
        "min_weeks": 4,
        "crossings": {
            "500": {"status": "already_above", "week": None, "earliest": None, "latest": None},
            "2000": {
                "status": "crossing",
                "week": "2027-W07",
                "earliest": "2027-W03",
                "latest": "2027-W15",
            },
        },
        "month": "2026-11",
        "month_end_spend_usd": "736.97",
        "month_end_spend_band_usd": ["703.26", "770.69"],
    }
    line = forecast_text(enough)
    assert line.startswith("Forecast (12-week trend): already above 500/day; 2,000/day in 2027-W07")
    assert "80% band 2027-W03–2027-W15" in line and "2026-11 spend $736.97" in line
    short = forecast_text({"enough_history": False, "history_weeks": 2, "min_weeks": 4})
    assert short == "Forecast: too little history (2 complete weeks; needs 4)."
