"""Two surfaces never disagree: report volume, the spend answer, the digest and the advisor
show the same cloud requests and money for the same days; a day's estimate does not depend on
the window it is shown in."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from golocal.bot.services import Services
from golocal.bot.slack.home import home_blocks
from golocal.config.settings import load_settings
from golocal.db.costs import upsert_cost_lines
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.digest import build_digest
from golocal.jobs.evidence import gather_evidence
from golocal.jobs.facts import derive_facts
from golocal.jobs.money import usd_display
from tests.cli_runner import run_golocal

MONDAY = date(2026, 3, 2)  # ISO week 2026-W10
DAYS = [MONDAY + timedelta(days=i) for i in range(7)]
COLLECTED = datetime(2026, 3, 10, tzinfo=UTC)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def seed(database) -> None:
    """A week of OpenAI (counts), Anthropic (tokens only) and a local server, bills on 4 days.

    OpenAI's tokens per request differ by day (3,000 to 4,800), so a window-wide divisor
    would give other Anthropic estimates than a per-day one.
    """
    usage, costs = [], []
    for i, day in enumerate(DAYS):
        base = {"bucket_start": _at(day), "bucket_seconds": 86400, "collected_at": COLLECTED}
        usage += [
            {**base, "source": "openai", "location": "cloud", "provider": "openai",
             "model": "gpt-4o", "project": "proj_pay", "api_key": "key_a", "requests": 300 + i,
             "input_tokens": 800_000 + 100_000 * i, "output_tokens": 100_000,
             "cost_usd": Decimal("4.10") + i, "cost_estimated": True},
            {**base, "source": "openai", "location": "cloud", "provider": "openai",
             "model": "gpt-4o", "project": "proj_pay", "api_key": "key_b", "requests": 200,
             "input_tokens": 500_000, "output_tokens": 100_000,
             "cost_usd": Decimal("2.05"), "cost_estimated": True},
            {**base, "source": "anthropic", "location": "cloud", "provider": "anthropic",
             "model": "claude-sonnet-4", "project": "wrk_search", "requests": None,
             "input_tokens": 1_234_567 + 7_777 * i, "output_tokens": 123_457,
             "cost_usd": Decimal("6.6667"), "cost_estimated": True},
            {**base, "source": "anthropic", "location": "cloud", "provider": "anthropic",
             "model": "claude-haiku-4", "project": "wrk_pay", "requests": None,
             "input_tokens": 333_333, "output_tokens": 33_333,
             "cost_usd": Decimal("0.4001"), "cost_estimated": True},
            {**base, "source": "coder", "location": "local", "requests": 150 + i,
             "input_tokens": 300_000, "output_tokens": 40_000},
        ]  # fmt: skip
        if i < 4:  # the cost reports cover Monday to Thursday
            line = {"bucket_start": _at(day), "bucket_seconds": 86400, "collected_at": COLLECTED}
            costs += [
                {**line, "source": "openai", "provider": "openai", "project": "proj_pay",
                 "line_item": "gpt-4o, input", "model": "gpt-4o", "amount": Decimal("5.137")},
                {**line, "source": "openai", "provider": "openai", "project": "proj_pay",
                 "line_item": "Vector storage", "amount": Decimal("0.25")},
                {**line, "source": "anthropic", "provider": "anthropic", "project": "wrk_search",
                 "line_item": "Claude Sonnet 4 Usage", "model": "claude-sonnet-4",
                 "amount": Decimal("7.0333")},
                {**line, "source": "anthropic", "provider": "anthropic", "project": "wrk_pay",
                 "line_item": "Claude Haiku 4 Usage", "model": "claude-haiku-4",
                 "amount": Decimal("0.4299")},
            ]  # fmt: skip
    upsert_usage_buckets(database, usage)
    upsert_cost_lines(database, costs)


def _volume(capsys, since: date, until: date) -> dict:
    run = run_golocal(
        capsys, "report", "volume", "--since", str(since), "--until", str(until), "--json"
    )
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)


def test_every_surface_shows_the_same_requests_and_money(
    database, database_url, capsys, monkeypatch
):
    seed(database)
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    settings = load_settings(None)
    until = DAYS[-1] + timedelta(days=1)

    volume = _volume(capsys, MONDAY, until)
    cloud_by_day = {d["day"]: d["cloud_requests"] for d in volume["days"]}
    cloud_requests = volume["totals"]["cloud_requests"]
    money = Decimal(volume["totals"]["cost_usd"])

    asked = run_golocal(
        capsys, "ask", "what are we spending between 2026-03-02 and 2026-03-08?", "--json"
    )
    assert asked.exit_code == 0, asked.stderr
    spend = json.loads(asked.stdout)
    assert spend["intent"] == "cost"
    assert spend["period"]["since"] == "2026-03-02" and spend["period"]["until"] == "2026-03-09"
    assert spend["cloud_requests"] == cloud_requests
    assert Decimal(spend["cloud_spend_usd"]) == money  # no local money in this data

    digest = build_digest(database, settings, "2026-W10", now=COLLECTED).data
    assert {d["day"]: d["cloud_requests"] for d in digest["days"]} == cloud_by_day
    assert Decimal(digest["spend"]["total_usd"]) == money
    # the week's largest gap between bill and estimate: OpenAI on Thursday, 5.387 vs 9.15
    gap = digest["spend"]["reconcile"]["largest_gap"]
    assert (gap["provider"], gap["day"], gap["difference_usd"]) == (
        "openai",
        "2026-03-05",
        "-3.7630",
    )

    # the App Home's "spend this month" on the Sunday evening of that week
    sunday = Services(settings, database, clock=lambda: datetime(2026, 3, 8, 20, tzinfo=UTC))
    home = json.dumps([block.to_dict() for block in home_blocks(sunday)])
    assert f"*Spend this month* (since Mar 1)\\n{usd_display(money)}" in home

    evidence = gather_evidence(database, settings, until)
    assert (evidence.since, evidence.until) == (MONDAY, until)
    facts = derive_facts(evidence, settings.advisor, settings.volume.tokens_per_request)
    assert facts.cloud_requests == cloud_requests
    assert facts.priced_spend == money

    # billed days carry the bill, the vector storage line included; the rest the estimates
    monday = volume["days"][0]["by_source"]
    assert Decimal(monday["openai"]["cost_usd"]) == Decimal("5.387")
    assert Decimal(monday["anthropic"]["cost_usd"]) == Decimal("7.4632")
    assert monday["anthropic"]["cost_estimated"] is False
    friday = volume["days"][4]["by_source"]
    assert friday["anthropic"]["cost_estimated"] is True


def test_a_days_estimate_does_not_depend_on_the_window(database, database_url, capsys, monkeypatch):
    seed(database)
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    wednesday = DAYS[2]
    shown = []
    for since, until in [
        (wednesday, wednesday + timedelta(days=1)),
        (MONDAY, DAYS[-1] + timedelta(days=1)),
        (wednesday - timedelta(days=1), wednesday + timedelta(days=2)),
    ]:
        days = {d["day"]: d for d in _volume(capsys, since, until)["days"]}
        day = days[wednesday.isoformat()]
        shown.append((day["cloud_requests"], day["by_source"]["anthropic"]["requests_estimate"]))
    assert shown[0] == shown[1] == shown[2]
    # Wednesday alone decides: OpenAI and the local server carry 2,040,000 tokens over 654
    # requests (3,119 a request); Anthropic's 1,373,578 + 366,666 tokens are 440 + 118
    assert shown[0][1] == 558
