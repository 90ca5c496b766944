"""Chat answers read any period, say their coverage, and never answer another period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from golocal.bot.chat import answer
from golocal.bot.services import Services
from golocal.config.settings import load_settings
from golocal.db.usage import upsert_usage_buckets
from golocal.errors import GolocalError

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def _seed(database, days: list[date]) -> None:
    rows = []
    for day in days:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        rows.append(
            {
                "source": "openai",
                "bucket_start": start,
                "bucket_seconds": 86400,
                "location": "cloud",
                "provider": "openai",
                "model": "gpt-4o",
                "project": "proj_a",
                "requests": 600,
                "input_tokens": 1_000_000,
                "output_tokens": 100_000,
                "cost_usd": Decimal("3.25"),
                "cost_estimated": True,
            }
        )
    upsert_usage_buckets(database, rows)


@pytest.fixture
def services(database):
    return Services(settings=load_settings(None), database=database, clock=lambda: NOW)


def _ask(question: str, services: Services):
    try:
        return answer(question, services)
    except GolocalError as exc:
        return exc


def test_requests_per_day_in_march_answers_march(database, services):
    _seed(database, [date(2026, 3, 2), date(2026, 3, 3), date(2026, 11, 20)])
    reply = _ask("how many requests per day in March?", services)
    assert reply.intent == "volume"
    assert reply.data["period"] == {
        "since": "2026-03-01",
        "until": "2026-04-01",
        "label": "March 2026",
        "days": 31,
        "days_with_data": 2,
        "partial": True,
        "through_today": False,
    }
    assert "March 2026" in reply.text
    assert "data on 2 of 31 days: partial" in reply.text
    # one mean per day: over the days with data, not 1,200 / 31
    assert reply.data["totals"]["mean_requests_per_day"] == 600.0


def test_what_did_we_spend_this_year_is_the_year_to_date(database, services):
    _seed(database, [date(2026, 1, 5), date(2026, 11, 20)])
    reply = _ask("what did we spend this year?", services)
    assert reply.intent == "cost"
    assert (reply.data["period"]["since"], reply.data["period"]["until"]) == (
        "2026-01-01",
        "2026-11-28",
    )
    assert Decimal(reply.data["cloud_spend_usd"]) == Decimal("6.50")
    assert reply.data["period"]["partial"] is True


def test_last_month_with_four_days_of_data_says_so(database, services):
    _seed(database, [date(2026, 10, d) for d in (3, 4, 5, 6)])
    reply = _ask("what did we spend last month?", services)
    assert reply.data["period"]["days_with_data"] == 4
    assert "data on 4 of 31 days: partial" in reply.text


def test_cost_by_team_last_month(database, services):
    _seed(database, [date(2026, 10, 3)])
    reply = _ask("cost by team last month", services)
    assert reply.intent == "cost"
    assert reply.data["by"] == "team"
    assert reply.data["unattributed_usd"] == "3.2500"
    assert "By team: (unattributed) (estimated) $3.25" in reply.text
    assert "not split by team" not in reply.text


@pytest.mark.parametrize(
    "question",
    [
        "what did we spend between March 5 and February 30?",
        "what did we spend in the last 99999 days?",
    ],
)
def test_a_period_it_cannot_read_is_refused_not_replaced(database, services, question):
    _seed(database, [date(2026, 11, 20)])
    reply = _ask(question, services)
    text = reply.message if isinstance(reply, GolocalError) else reply.text
    assert "I can't read that period" in text


def test_the_configured_time_zone_decides_which_day_is_today(database):
    # 23:30 UTC on 30 November is already 1 December in Tokyo
    settings = load_settings(None).model_copy(update={"timezone": "Asia/Tokyo"})
    clock = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    services = Services(settings=settings, database=database, clock=lambda: clock)
    _seed(database, [date(2026, 11, 30)])
    reply = _ask("what did we spend this month?", services)
    assert reply.data["period"]["since"] == "2026-12-01"
    assert reply.data["cloud_spend_usd"] is None
    utc = Services(settings=load_settings(None), database=database, clock=lambda: clock)
    assert _ask("what did we spend this month?", utc).data["period"]["since"] == "2026-11-01"


def test_who_spends_the_most_is_the_spend_by_team(database, services):
    from golocal.db.attribution import set_attribution

    _seed(database, [date(2026, 11, 20)])
    set_attribution(database, external_id="proj_a", team="payments", updated_by="test")
    reply = _ask("who spends the most?", services)
    assert reply.intent == "cost"
    assert reply.data["by"] == "team"
    assert [row["key"] for row in reply.data["rows"]] == ["payments"]
    assert "By team: payments (estimated) $3.25 (100%)" in reply.text


def test_a_named_provider_or_team_narrows_the_spend(database, services):
    from golocal.bot.entities import forget_lexicon
    from golocal.db.attribution import set_attribution

    _seed(database, [date(2026, 10, 3)])
    start = datetime(2026, 10, 3, tzinfo=UTC)
    upsert_usage_buckets(
        database,
        [
            {"source": "anthropic", "bucket_start": start, "bucket_seconds": 86400,
             "location": "cloud", "provider": "anthropic", "model": "claude-sonnet-4",
             "project": "wrk_b", "input_tokens": 900_000, "output_tokens": 100_000,
             "cost_usd": Decimal("7.10"), "cost_estimated": True},
        ],
    )  # fmt: skip
    reply = _ask("what did anthropic cost last month?", services)
    assert reply.intent == "cost"
    assert reply.data["filters"] == {"provider": "anthropic"}
    assert Decimal(reply.data["cloud_spend_usd"]) == Decimal("7.10")
    assert "provider anthropic" in reply.text and "not narrowed" not in reply.text
    set_attribution(database, external_id="proj_a", team="payments", updated_by="test")
    forget_lexicon(database)  # the chat's cached names learn the new team
    team = _ask("what did team payments spend last month?", services)
    assert Decimal(team.data["cloud_spend_usd"]) == Decimal("3.25")


def test_spend_per_day_is_not_a_breakdown_it_cannot_make(database, services):
    _seed(database, [date(2026, 11, 20)])
    reply = _ask("what did we spend per day last week?", services)
    assert reply.intent == "cost"
    assert Decimal(reply.data["cloud_spend_usd"]) == Decimal("3.25")


def test_an_answer_says_how_it_read_the_period_phrase(database, services):
    _seed(database, [date(2026, 10, 2), date(2026, 11, 20)])
    spend = _ask("what did we spend last month?", services)
    assert spend.intent == "cost"
    assert spend.text.startswith("I read that as last month: 2026-10-01 to 2026-10-31.\n")
    assert spend.data["period"]["label"] == "last month"  # the JSON period is unchanged
    volume = _ask("how many requests per day since Monday?", services)
    assert volume.intent == "volume"
    assert volume.text.startswith(
        "I read that as since Monday 2026-11-23: 2026-11-23 to 2026-11-27.\n"
    )
    empty = _ask("what did we spend in March?", services)
    assert empty.text.startswith("I read that as March 2026: 2026-03-01 to 2026-03-31.\n")


def test_the_default_window_is_not_presented_as_a_reading(database, services):
    _seed(database, [date(2026, 11, 20)])
    for question in ("what did we spend?", "how many requests per day?"):
        assert "I read that as" not in _ask(question, services).text


def test_models_answer_shares_add_up_to_100_percent(database, services):
    base = {"bucket_start": datetime(2026, 11, 20, tzinfo=UTC), "bucket_seconds": 86400}
    upsert_usage_buckets(
        database,
        [
            {**base, "source": "openai", "location": "cloud", "provider": "openai",
             "model": model, "project": "p", "requests": 100, "input_tokens": 1000,
             "output_tokens": 100, "cost_usd": Decimal("1.00"), "cost_estimated": True}
            for model in ("gpt-4o", "gpt-4o-mini", "gpt-4.1")
        ],
    )  # fmt: skip
    reply = _ask("which models do we use last week?", services)
    assert reply.intent == "models"
    listed = [line for line in reply.text.splitlines() if line.startswith("• ")]
    assert len(listed) == 3
    requests = [int(line.split("requests (")[1].split("%")[0]) for line in listed]
    spend = [int(line.split("(")[-1].split("% of spend")[0]) for line in listed]
    # a third each: shown as 34 + 33 + 33, never 33 + 33 + 33 = 99
    assert sorted(requests) == sorted(spend) == [33, 33, 34]
