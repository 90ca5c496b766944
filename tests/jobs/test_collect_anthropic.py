"""Anthropic and Claude Code collection against the loopback fake."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from golocal.db.costs import cost_line_total
from golocal.db.models import CostLine, UsageBucket
from golocal.db.usage import source_days
from golocal.jobs.collect import collect_sources
from golocal.jobs.sources.records import day_start
from golocal.jobs.volume import build_volume_report
from tests.fakes.anthropic import (
    CLAUDE_CODE_PATH,
    USAGE_PATH,
    ClaudeCodeRecord,
    CostRow,
    FakeAnthropic,
    MessagesRow,
    error,
)

KEY = "sk-ant-admin01-test-SECRETSECRET"
START = date(2026, 2, 1)
#: a "now" after every day these tests fill (buckets after "now" are refused)
LATER = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.fixture
def fake():
    server = FakeAnthropic(KEY).start()
    yield server
    server.stop()


@pytest.fixture
def settings(make_settings, fake):
    return make_settings(ANTHROPIC_ADMIN_KEY=KEY, GOLOCAL_ANTHROPIC_BASE_URL=fake.url)


def run(make_request, settings, source, since, until):
    (result,) = collect_sources([source], make_request(settings, since, until, now=LATER))
    return result


def test_messages_usage_has_no_request_count(fake, settings, make_request, database):
    for i in range(40):
        fake.messages.append(
            MessagesRow(
                START + timedelta(days=i),
                "claude-sonnet-4-20250514",
                "wrkspc_1",
                "apikey_1",
                uncached=2000,
                output=500,
                cache_read=1000,
                cache_5m=300,
                cache_1h=200,
            )
        )
    result = run(make_request, settings, "anthropic", START, START + timedelta(days=40))
    assert result.ok, result.message
    # 40 days = windows of 31 + 9 for usage and for costs
    assert result.windows == 4
    pages = fake.requests_to(USAGE_PATH)
    assert [p.first("limit") for p in pages] == ["31", "31"]
    assert pages[0].query["group_by[]"] == ["model", "workspace_id", "api_key_id", "service_tier"]
    assert pages[0].first("starting_at") == "2026-02-01T00:00:00Z"
    with database.session() as session:
        row = session.scalars(select(UsageBucket).limit(1)).one()
        assert row.requests is None  # unknown, never 0
        assert (row.input_tokens, row.cached_input_tokens, row.cache_write_tokens) == (
            3500,
            1000,
            500,
        )
        assert (row.project, row.api_key, row.variant) == ("wrkspc_1", "apikey_1", "tier=standard")
        assert row.cost_estimated and row.cost_usd > 0
    days = source_days(database, START, START + timedelta(days=40))
    assert len(days) == 40
    assert all(d.requests is None and d.tokens_without_requests == 4000 for d in days)
    report = build_volume_report(days, START, START + timedelta(days=40), tokens_per_request=2000)
    assert report.requests_estimated
    assert report.total_requests == 80


def test_empty_buckets_are_zero_days(fake, settings, make_request, database):
    fake.messages.append(MessagesRow(START, "claude-haiku-4-5", None, None, 100, 10))
    assert run(make_request, settings, "anthropic", START, START + timedelta(days=3)).ok
    days = {d.day: d for d in source_days(database, START, START + timedelta(days=3))}
    assert set(days) == {START, START + timedelta(days=1), START + timedelta(days=2)}
    assert days[START + timedelta(days=2)].input_tokens == 0
    assert days[START + timedelta(days=2)].cost_usd == Decimal(0)


def test_cost_report_amounts_are_cents_strings(fake, settings, make_request, database):
    fake.costs += [
        CostRow(
            START,
            "Claude Sonnet 4 Usage - Input Tokens",
            "wrkspc_1",
            "123.45",
            "claude-sonnet-4-20250514",
        ),
        CostRow(START, "Claude Sonnet 4 Usage - Output Tokens", "wrkspc_1", "0.5"),
        CostRow(START + timedelta(days=1), "Code Execution Usage", None, "1000"),
    ]
    assert run(make_request, settings, "anthropic", START, START + timedelta(days=2)).ok
    total = cost_line_total(
        database,
        source="anthropic",
        since=day_start(START),
        until=day_start(START + timedelta(days=2)),
    )
    assert total == Decimal("11.2395")  # 1.2345 + 0.005 + 10.00
    with database.session() as session:
        lines = {c.line_item: c for c in session.scalars(select(CostLine)).all()}
    first = lines["Claude Sonnet 4 Usage - Input Tokens"]
    assert (first.amount, first.project, first.model, first.currency) == (
        Decimal("1.2345"),
        "wrkspc_1",
        "claude-sonnet-4-20250514",
        "USD",
    )


def test_overloaded_529_is_retried(fake, settings, make_request, database, sleeps):
    fake.messages.append(MessagesRow(START, "claude-haiku-4-5", None, None, 100, 10))
    fake.fail(USAGE_PATH, error(529, "overloaded_error", "Overloaded"))
    assert run(make_request, settings, "anthropic", START, START + timedelta(days=1)).ok
    assert len(sleeps) == 1


def test_wrong_key_is_rejected_without_retry(make_settings, fake, make_request, sleeps):
    settings = make_settings(
        ANTHROPIC_ADMIN_KEY="sk-ant-admin01-nope", GOLOCAL_ANTHROPIC_BASE_URL=fake.url
    )
    result = run(make_request, settings, "anthropic", START, START + timedelta(days=1))
    assert not result.ok
    assert result.message == (
        "Anthropic admin key rejected (401): check ANTHROPIC_ADMIN_KEY [authentication_error]"
    )
    assert sleeps == []


def _model(model, tin, tout, cents):
    return {
        "model": model,
        "tokens": {"input": tin, "output": tout, "cache_read": 0, "cache_creation": 0},
        "estimated_cost": {"amount": cents, "currency": "USD"},
    }


def test_claude_code_stores_subscription_usage_only(make_request, make_settings, database):
    fake = FakeAnthropic(KEY, claude_code_page_cap=2).start()
    try:
        settings = make_settings(ANTHROPIC_ADMIN_KEY=KEY, GOLOCAL_ANTHROPIC_BASE_URL=fake.url)
        user = {"type": "user_actor", "email_address": "dev@example.com"}
        for day in (START, START + timedelta(days=1)):
            fake.claude_code += [
                ClaudeCodeRecord(
                    day, user, "subscription", [_model("claude-sonnet-4-20250514", 1000, 200, 250)]
                ),
                ClaudeCodeRecord(
                    day,
                    user,
                    "subscription",
                    [_model("claude-sonnet-4-20250514", 500, 100, 125)],
                    is_remote=True,
                ),
                ClaudeCodeRecord(
                    day,
                    {"type": "api_actor", "api_key_name": "ci"},
                    "api",
                    [_model("claude-sonnet-4-20250514", 9999, 9999, 9999)],
                    subscription_type=None,
                ),
            ]
        result = run(make_request, settings, "claude_code", START, START + timedelta(days=3))
    finally:
        fake.stop()
    assert result.ok, result.message
    assert result.windows == 3  # one per day, the empty third day included
    pages = fake.requests_to(CLAUDE_CODE_PATH)
    assert [p.first("starting_at") for p in pages] == [
        "2026-02-01",
        "2026-02-01",
        "2026-02-02",
        "2026-02-02",
        "2026-02-03",
    ]
    days = source_days(database, START, START + timedelta(days=3))
    assert [(d.day, d.input_tokens, d.output_tokens, d.requests) for d in days] == [
        (START, 1500, 300, None),
        (START + timedelta(days=1), 1500, 300, None),
    ]
    # estimated_cost is in cents: 250 + 125 = $3.75 per day, flagged as an estimate
    assert all(d.cost_usd == Decimal("3.75") and d.cost_estimated for d in days)
    with database.session() as session:
        variants = {r.variant for r in session.scalars(select(UsageBucket)).all()}
    assert variants == {
        "tool=claude_code;user=dev@example.com;plan=team",
        "tool=claude_code;user=dev@example.com;remote=true;plan=team",
    }
