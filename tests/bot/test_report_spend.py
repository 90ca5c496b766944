"""`golocal report spend` (showback), `report reconcile` and the CSV exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from golocal.config.settings import load_settings
from golocal.db.costs import upsert_cost_lines
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.digest import build_digest
from tests.cli_runner import run_golocal

DAY = date(2026, 10, 5)
COLLECTED = datetime(2026, 11, 2, tzinfo=UTC)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def seed(database) -> None:
    base = {"bucket_start": _at(DAY), "bucket_seconds": 86400, "collected_at": COLLECTED}
    upsert_usage_buckets(
        database,
        [
            {**base, "source": "openai", "location": "cloud", "provider": "openai",
             "model": "gpt-4o", "project": "proj_pay", "api_key": "key_a", "requests": 300,
             "input_tokens": 900_000, "output_tokens": 100_000, "cost_usd": Decimal("6.00"),
             "cost_estimated": True},
            {**base, "source": "openai", "location": "cloud", "provider": "openai",
             "model": "gpt-4o", "project": "proj_pay", "api_key": "key_b", "requests": 100,
             "input_tokens": 300_000, "output_tokens": 50_000, "cost_usd": Decimal("2.00"),
             "cost_estimated": True},
            {**base, "source": "openai", "location": "cloud", "provider": "openai",
             "model": "gpt-4o-mini", "project": "proj_ml", "api_key": "key_c", "requests": 50,
             "input_tokens": 100_000, "output_tokens": 10_000, "cost_usd": Decimal("0.10"),
             "cost_estimated": True},
            {**base, "bucket_start": _at(DAY + timedelta(days=1)), "source": "openai",
             "location": "cloud", "provider": "openai", "model": "gpt-4o", "project": "proj_pay",
             "api_key": "key_a", "requests": 10, "input_tokens": 10_000, "output_tokens": 1_000,
             "cost_usd": Decimal("1.00"), "cost_estimated": True},
        ],
    )  # fmt: skip
    line = {**base, "source": "openai", "provider": "openai"}
    upsert_cost_lines(
        database,
        [
            {**line, "project": "proj_pay", "line_item": "gpt-4o, input", "model": "gpt-4o",
             "amount": Decimal("10.00")},
            {**line, "project": "proj_ml", "line_item": "gpt-4o-mini, input",
             "model": "gpt-4o-mini", "amount": Decimal("0.11")},
            {**line, "project": "proj_ml", "line_item": "Vector storage", "amount": Decimal("1")},
        ],
    )  # fmt: skip


def _spend(capsys, *args: str) -> dict:
    days = () if "--period" in args else ("--since", "2026-10-01", "--until", "2026-11-01")
    run = run_golocal(capsys, "report", "spend", *days, *args, "--json")
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)


def test_spend_by_team_follows_attribution_set_later(database, database_url, capsys, monkeypatch):
    """Attribution applies at read time: mapping a project re-attributes its history."""
    seed(database)
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    before = _spend(capsys, "--by", "team")
    assert before["rows"] == []
    assert before["unattributed_usd"] == before["total_usd"]
    assert Decimal(before["total_usd"]) == Decimal("12.11")  # billed 11.11 + Tuesday's 1.00

    run = run_golocal(capsys, "attribute", "set", "proj_pay", "--team", "payments")
    assert run.exit_code == 0, run.stderr
    after = _spend(capsys, "--by", "team")
    assert [row["key"] for row in after["rows"]] == ["payments"]
    payments = after["rows"][0]
    assert Decimal(payments["cost_usd"]) == Decimal("11.00")
    assert payments["requests"] == 410
    assert payments["cost_estimated"] is True  # Tuesday has no bill: estimated
    assert Decimal(after["unattributed_usd"]) == Decimal("1.11")
    assert payments["share"] == round(11 / 12.11, 4)
    assert after["period"]["days"] == 31 and after["period"]["days_with_data"] == 2
    # the digest of that week says the same, no longer "(unattributed)" only
    digest = build_digest(database, load_settings(None), "2026-W41", now=COLLECTED).data
    teams = {line["name"]: line["cost_usd"] for line in digest["spend"]["by_team"]}
    assert teams == {"payments": "11.0000", "(unattributed)": "1.1100"}


def test_spend_by_key_splits_a_bill_by_usage_shares_and_flags_it(
    database, database_url, capsys, monkeypatch
):
    seed(database)
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    data = _spend(capsys, "--by", "key", "--period", "2026-10-05")
    rows = {row["key"]: row for row in data["rows"]}
    # the $10 gpt-4o bill covers two keys priced $6 and $2: split 7.50 / 2.50, allocated
    assert Decimal(rows["key_a"]["cost_usd"]) == Decimal("7.5")
    assert Decimal(rows["key_b"]["cost_usd"]) == Decimal("2.5")
    assert rows["key_a"]["cost_basis"] == "allocated" and rows["key_a"]["allocated"] is True
    assert rows["key_c"]["cost_basis"] == "billed"
    # the vector storage line names no key: unattributed, but counted
    assert Decimal(data["unattributed_usd"]) == Decimal("1")
    assert Decimal(data["total_usd"]) == Decimal("11.11")
    by_model = _spend(capsys, "--by", "model", "--period", "2026-10-05")
    models = {row["key"]: row for row in by_model["rows"]}
    assert models["gpt-4o"]["cost_basis"] == "billed"  # the whole line: not a split
    assert Decimal(models["Vector storage"]["cost_usd"]) == Decimal("1")


def test_reconcile_json_flags_a_gap_past_the_tolerance(database, database_url, capsys, monkeypatch):
    seed(database)
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    run = run_golocal(
        capsys, "report", "reconcile", "--since", "2026-10-05", "--until", "2026-10-07", "--json"
    )
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["period"]["since"] == "2026-10-05" and data["period"]["until"] == "2026-10-07"
    monday, tuesday = data["rows"]
    assert monday["provider"] == "openai" and monday["day"] == "2026-10-05"
    assert Decimal(monday["billed_usd"]) == Decimal("11.11")
    assert Decimal(monday["estimated_usd"]) == Decimal("8.10")
    assert Decimal(monday["difference_usd"]) == Decimal("3.01")
    assert monday["difference_pct"] == round(3.01 / 11.11 * 100, 2)
    assert monday["flagged"] is True
    assert tuesday["billed_usd"] is None and tuesday["flagged"] is True  # no bill yet

    monkeypatch.setenv("GOLOCAL_RECONCILE__TOLERANCE_PCT", "30")
    loose = json.loads(
        run_golocal(
            capsys, "report", "reconcile", "--since", "2026-10-05", "--until", "2026-10-06",
            "--json",
        ).stdout
    )  # fmt: skip
    assert loose["rows"][0]["flagged"] is False


def test_csv_exports_have_a_header_decimal_strings_and_utc_days(
    database, database_url, capsys, monkeypatch
):
    seed(database)
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    spend = run_golocal(capsys, "report", "spend", "--period", "October 2026", "--by", "team",
                        "--format", "csv")  # fmt: skip
    assert spend.exit_code == 0, spend.stderr
    rows = list(csv.DictReader(io.StringIO(spend.stdout)))
    assert rows == [
        {"since": "2026-10-01", "until": "2026-11-01", "by": "team", "key": "(unattributed)",
         "cost_usd": "12.1100", "requests": "460", "cost_estimated": "true",
         "cost_basis": "estimated", "allocated": "false", "share": "1.0"},
    ]  # fmt: skip
    volume = run_golocal(capsys, "report", "volume", "--since", "2026-10-05", "--until",
                         "2026-10-07", "--csv")  # fmt: skip
    lines = volume.stdout.splitlines()
    assert lines[0].startswith("day,source,location,requests,")
    assert lines[1].startswith("2026-10-05,openai,cloud,450,,")
    assert ",11.1100,false,billed" in lines[1]
    gpus = run_golocal(capsys, "report", "gpus", "--period", "yesterday", "--csv")
    assert gpus.exit_code == 0 and gpus.stdout.startswith("since,until,host,gpu,")
    both = run_golocal(capsys, "report", "volume", "--json", "--csv")
    assert both.exit_code == 2 and "one output format" in both.stderr


def test_report_period_in_words_and_its_refusals(database, database_url, capsys, monkeypatch):
    seed(database)
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    run = run_golocal(capsys, "report", "volume", "--period", "October 2026", "--json")
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["period"] == {
        "since": "2026-10-01",
        "until": "2026-11-01",
        "label": "October 2026",
        "days": 31,
        "days_with_data": 2,
        "partial": True,
        "through_today": False,
    }
    assert len(data["days"]) == 31
    for report in ("volume", "spend"):
        text = run_golocal(capsys, "report", report, "--period", "October 2026")
        assert text.exit_code == 0, text.stderr
        assert text.stdout.startswith("I read that as October 2026: 2026-10-01 to 2026-10-31.\n")
        dated = run_golocal(capsys, "report", report, "--since", "2026-10-01")
        assert "I read that as" not in dated.stdout
    for args, message in [
        (("--period", "next week"), "I can't read that period: 'next week' is in the future"),
        (("--period", "the blue moon"), "I can't read that period"),
        (("--period", "last month", "--since", "2026-10-01"), "cannot be combined"),
    ]:
        refused = run_golocal(capsys, "report", "spend", *args)
        assert refused.exit_code == 2, args
        assert message in refused.stderr
        assert refused.stdout == ""
