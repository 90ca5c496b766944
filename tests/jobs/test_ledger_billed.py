"""Billed money wins: what the OpenAI and Anthropic fakes bill is what `report volume` shows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from golocal.db.costs import cost_line_total
from golocal.jobs.collect import collect_sources
from tests.cli_runner import run_golocal
from tests.fakes.anthropic import CostRow as AnthropicCost
from tests.fakes.anthropic import FakeAnthropic, MessagesRow
from tests.fakes.openai import FakeOpenAI

OPENAI_KEY = "sk-admin-test-0123456789abcdefSECRET"
ANTHROPIC_KEY = "sk-ant-admin01-test-SECRETSECRET"
START = date(2026, 3, 2)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BILLED_DAYS = [START, START + timedelta(days=1)]
UNBILLED_DAY = START + timedelta(days=2)


@pytest.fixture
def fakes():
    openai, anthropic = FakeOpenAI(OPENAI_KEY).start(), FakeAnthropic(ANTHROPIC_KEY).start()
    yield openai, anthropic
    openai.stop()
    anthropic.stop()


def _fill(openai: FakeOpenAI, anthropic: FakeAnthropic) -> None:
    for day in [*BILLED_DAYS, UNBILLED_DAY]:
        for key in ("key_1", "key_2"):  # one model on two keys: the bill names no key
            openai.add_usage(
                day,
                "gpt-4o-2024-08-06",
                "proj_a",
                requests=400,
                input_tokens=900_000,
                output_tokens=120_000,
                api_key_id=key,
            )
        openai.add_usage(day, "gpt-4o-mini", "proj_b", requests=900, input_tokens=2_000_000)
        anthropic.messages.append(
            MessagesRow(day, "claude-sonnet-4-20250514", "wrkspc_1", "apikey_1", 3_000_000, 400_000)
        )
    for day in BILLED_DAYS:
        openai.add_cost(day, "gpt-4o-2024-08-06, input", "proj_a", 4.5)
        openai.add_cost(day, "gpt-4o-2024-08-06, output", "proj_a", 2.44)
        openai.add_cost(day, "gpt-4o-mini, input", "proj_b", 0.31)
        openai.add_cost(day, "Vector storage", "proj_b", 0.19)  # not model usage
        anthropic.costs += [
            AnthropicCost(day, "Claude Sonnet 4 Usage - Input Tokens", "wrkspc_1", "1402.5",
                          "claude-sonnet-4-20250514"),
            AnthropicCost(day, "Claude Sonnet 4 Usage - Output Tokens", "wrkspc_1", "606",
                          "claude-sonnet-4-20250514"),
            AnthropicCost(day, "Web Search Usage", "wrkspc_1", "20"),
        ]  # fmt: skip


def test_report_volume_shows_what_the_providers_billed(
    fakes, database, database_url, make_settings, make_request, capsys, monkeypatch
):
    openai, anthropic = fakes
    _fill(openai, anthropic)
    settings = make_settings(
        OPENAI_ADMIN_KEY=OPENAI_KEY,
        GOLOCAL_OPENAI_BASE_URL=openai.base_url,
        ANTHROPIC_ADMIN_KEY=ANTHROPIC_KEY,
        GOLOCAL_ANTHROPIC_BASE_URL=anthropic.url,
    )
    until = UNBILLED_DAY + timedelta(days=1)
    results = collect_sources(["openai", "anthropic"], make_request(settings, START, until, NOW))
    assert all(result.ok for result in results), [r.message for r in results]

    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    run = run_golocal(
        capsys, "report", "volume", "--since", str(START), "--until", str(until), "--json"
    )
    assert run.exit_code == 0, run.stderr
    days = {day["day"]: day for day in json.loads(run.stdout)["days"]}
    for day in BILLED_DAYS:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for source in ("openai", "anthropic"):
            billed = cost_line_total(
                database, source=source, since=start, until=start + timedelta(days=1)
            )
            shown = days[day.isoformat()]["by_source"][source]
            assert Decimal(shown["cost_usd"]) == billed, (day, source)
            assert shown["cost_estimated"] is False
            assert shown["cost_basis"] == "billed"
        assert billed == Decimal("20.285")  # Anthropic: cents, web search included
    # no cost report for the third day: the price-table estimate stands, flagged
    for source in ("openai", "anthropic"):
        shown = days[UNBILLED_DAY.isoformat()]["by_source"][source]
        assert shown["cost_estimated"] is True and shown["cost_basis"] == "estimated"
