"""OpenAI collection against the loopback fake: pagination, units, retries, idempotency."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from golocal.db.costs import cost_line_total
from golocal.db.models import UsageBucket
from golocal.db.sources import source_state
from golocal.db.usage import count_usage_buckets, source_days
from golocal.jobs.collect import collect_sources
from golocal.jobs.sources.records import day_start
from tests.fakes.openai import COSTS_PATH, USAGE_PATH, FakeOpenAI, days, error
from tests.fakes.server import Reply
from tests.jobs.conftest import NOW

KEY = "sk-admin-test-0123456789abcdefSECRET"
START = date(2026, 1, 1)


@pytest.fixture
def fake():
    server = FakeOpenAI(KEY).start()
    yield server
    server.stop()


@pytest.fixture
def settings(make_settings, fake):
    return make_settings(OPENAI_ADMIN_KEY=KEY, GOLOCAL_OPENAI_BASE_URL=fake.base_url)


def fill(fake, count, *, skip=()):
    """Two models × two projects a day; returns (requests, input, output) totals."""
    totals = [0, 0, 0]
    for i, day in enumerate(days(START, count)):
        if day in skip:
            continue
        for model, project in [("gpt-4o", "proj_a"), ("gpt-4o-mini", "proj_b")]:
            requests, tin, tout = 10 + i, 1000 * (i + 1), 100 * (i + 1)
            fake.add_usage(
                day,
                model,
                project,
                requests=requests,
                input_tokens=tin,
                output_tokens=tout,
                cached=tin // 10,
                api_key_id="key_1",
            )
            totals[0] += requests
            totals[1] += tin
            totals[2] += tout
    return tuple(totals)


def stored_totals(database, since=START, until=START + timedelta(days=400)):
    rows = [d for d in source_days(database, since, until) if d.source == "openai"]
    return (
        sum(d.requests or 0 for d in rows),
        sum(d.input_tokens or 0 for d in rows),
        sum(d.output_tokens or 0 for d in rows),
    )


def run(make_request, settings, since=None, until=None, **kw):
    (result,) = collect_sources(["openai"], make_request(settings, since, until, **kw))
    return result


def test_backfill_splits_windows_and_paginates(fake, settings, make_request, database):
    fake.page_cap = 10  # several pages per 31-day window
    expected = fill(fake, 45)
    result = run(make_request, settings, START, START + timedelta(days=45))
    assert result.ok, result.message
    assert stored_totals(database) == expected
    starts = [int(s.first("start_time")) for s in fake.requests_to(USAGE_PATH)]
    # two windows (31 + 14 days), each paginated: 4 + 2 pages
    assert len(starts) == 6
    assert sorted(set(starts)) == [
        int(day_start(START).timestamp()),
        int(day_start(START + timedelta(days=31)).timestamp()),
    ]
    assert all(s.first("limit") == "31" for s in fake.requests_to(USAGE_PATH))
    assert fake.requests_to(USAGE_PATH)[0].query["group_by"] == [
        "model",
        "project_id",
        "api_key_id",
        "batch",
        "service_tier",
    ]
    # windows: 2 usage windows + 1 cost window
    assert result.windows == 3
    assert source_state(database, "openai").cursor is not None


def test_dimensions_ft_models_and_batch_stay_visible(fake, settings, make_request, database):
    fake.add_usage(
        START,
        "ft:gpt-4o-mini-2024-07-18:acme::abc123",
        "proj_a",
        batch=True,
        service_tier="flex",
        api_key_id="key_9",
    )
    fake.add_usage(START, "gpt-4o", None)
    assert run(make_request, settings, START, START + timedelta(days=1)).ok
    with database.session() as session:
        rows = session.scalars(select(UsageBucket).order_by(UsageBucket.model)).all()
        seen = {(r.model, r.project, r.api_key, r.variant, r.provider) for r in rows}
        estimated = {r.model: (r.cost_usd, r.cost_estimated) for r in rows}
    assert seen == {
        (
            "ft:gpt-4o-mini-2024-07-18:acme::abc123",
            "proj_a",
            "key_9",
            "batch=true;tier=flex",
            "openai",
        ),
        ("gpt-4o", "", "", "tier=default", "openai"),
    }
    cost, flagged = estimated["gpt-4o"]
    assert cost is not None and cost > 0 and flagged


def test_zero_usage_day_is_measured_zero(fake, settings, make_request, database):
    fill(fake, 3, skip={START + timedelta(days=1)})
    assert run(make_request, settings, START, START + timedelta(days=3)).ok
    by_day = {d.day: d for d in source_days(database, START, START + timedelta(days=3))}
    zero = by_day[START + timedelta(days=1)]
    assert zero.requests == 0 and zero.input_tokens == 0 and zero.cost_usd == Decimal(0)
    assert by_day[START].requests == 20


def test_older_result_shape_without_cache_write_fields(settings, make_request, database):
    fake = FakeOpenAI(KEY, legacy_shape=True).start()
    try:
        fake.add_usage(START, "gpt-4o", "proj_a", input_tokens=5000, cached=1000, requests=7)
        request = make_request(
            settings.model_copy(update={"openai_base_url": fake.base_url}),
            START,
            START + timedelta(days=1),
        )
        (result,) = collect_sources(["openai"], request)
    finally:
        fake.stop()
    assert result.ok, result.message
    with database.session() as session:
        row = session.scalars(select(UsageBucket)).one()
        assert (row.requests, row.input_tokens, row.cached_input_tokens) == (7, 5000, 1000)
        assert row.cache_write_tokens is None  # not reported by the old shape, not 0
        assert row.variant == ""  # no service_tier in the old shape


def test_costs_are_dollars_as_exact_decimals(fake, settings, make_request, database):
    fake.add_cost(START, "gpt-4o, input", "proj_a", 1.23)
    fake.add_cost(START, "gpt-4o, output", "proj_a", 0.1)
    fake.add_cost(START + timedelta(days=1), "gpt-4o, input", None, 2.5)
    assert run(make_request, settings, START, START + timedelta(days=2)).ok
    total = cost_line_total(
        database,
        source="openai",
        since=day_start(START),
        until=day_start(START + timedelta(days=2)),
    )
    assert total == Decimal("3.83")
    assert {s.first("limit") for s in fake.requests_to(COSTS_PATH)} == {"180"}


def test_same_window_twice_gives_identical_totals(fake, settings, make_request, database):
    expected = fill(fake, 10)
    fake.add_cost(START, "gpt-4o, input", "proj_a", 4.2)
    for _ in range(2):
        assert run(make_request, settings, START, START + timedelta(days=10)).ok
        assert stored_totals(database) == expected
    assert count_usage_buckets(database) == 20
    assert cost_line_total(
        database,
        source="openai",
        since=day_start(START),
        until=day_start(START + timedelta(days=10)),
    ) == Decimal("4.2")


def test_revised_day_replaces_old_value(fake, settings, make_request, database):
    fake.add_usage(START, "gpt-4o", "proj_a", requests=10)
    assert run(make_request, settings, START, START + timedelta(days=1)).ok
    fake.usage[0].requests = 25
    assert run(make_request, settings, START, START + timedelta(days=1)).ok
    assert stored_totals(database)[0] == 25


def test_429_waits_retry_after_then_succeeds(fake, settings, make_request, database, sleeps):
    expected = fill(fake, 3)
    limited = error(429, "Rate limit reached", "requests", "rate_limit_exceeded")
    limited.headers["retry-after"] = "7"
    fake.fail(USAGE_PATH, limited)
    result = run(make_request, settings, START, START + timedelta(days=3))
    assert result.ok, result.message
    assert sleeps == [7.0]
    assert stored_totals(database) == expected


def test_retry_after_is_capped(fake, make_settings, make_request, sleeps):
    settings = make_settings(
        "[collection]\nretry_after_cap_s = 30\n",
        OPENAI_ADMIN_KEY=KEY,
        GOLOCAL_OPENAI_BASE_URL=fake.base_url,
    )
    fill(fake, 1)
    fake.fail(
        USAGE_PATH,
        Reply(
            429,
            {"error": {"message": "slow down", "type": "requests", "param": None, "code": None}},
            {"retry-after": "3600"},
        ),
    )
    assert run(make_request, settings, START, START + timedelta(days=1)).ok
    assert sleeps == [30.0]


def test_500_three_times_then_success(fake, settings, make_request, database, sleeps):
    expected = fill(fake, 3)
    server_error = error(500, "The server had an error", "server_error")
    fake.fail(USAGE_PATH, server_error, server_error, server_error)
    result = run(make_request, settings, START, START + timedelta(days=3))
    assert result.ok, result.message
    assert len(sleeps) == 3
    assert all(0 <= wait <= settings.collection.backoff_max_s for wait in sleeps)
    assert stored_totals(database) == expected


def test_persistent_500_fails_after_bounded_attempts(
    fake, settings, make_request, database, sleeps
):
    fill(fake, 1)
    fake.fail(USAGE_PATH, *[error(503, "overloaded", "server_error")] * 10)
    result = run(make_request, settings, START, START + timedelta(days=1))
    assert not result.ok
    assert "unavailable after 5 attempts" in result.message
    assert len(sleeps) == 4
    state = source_state(database, "openai")
    assert state.consecutive_failures == 1 and state.cursor is None


def test_401_fails_at_once_with_a_clear_reason(
    make_settings, fake, make_request, database, sleeps, caplog
):
    wrong = "sk-admin-wrong-key-zzzzWRONG"
    settings = make_settings(OPENAI_ADMIN_KEY=wrong, GOLOCAL_OPENAI_BASE_URL=fake.base_url)
    caplog.set_level("DEBUG")
    result = run(make_request, settings, START, START + timedelta(days=1))
    assert not result.ok
    assert result.message.startswith("OpenAI admin key rejected (401): check OPENAI_ADMIN_KEY")
    assert sleeps == []
    assert len(fake.requests_to(USAGE_PATH)) == 1
    state = source_state(database, "openai")
    assert state.last_error == result.message and state.failing
    assert "WRONG" not in caplog.text and "WRONG" not in result.message


def test_malformed_page_mid_backfill_keeps_earlier_pages(fake, settings, make_request, database):
    expected = fill(fake, 62)
    fake.fail(USAGE_PATH, Reply(200, '{"object": "page", "data": [{"start_ti'), after=1)
    result = run(make_request, settings, START, START + timedelta(days=62))
    assert not result.ok
    assert "not JSON" in result.message
    # the first 31-day window is stored; the cursor did not move
    first = stored_totals(database, START, START + timedelta(days=31))
    assert first[0] > 0
    assert stored_totals(database) == first
    assert source_state(database, "openai").cursor is None
    # the next run retries and completes
    assert run(make_request, settings, START, START + timedelta(days=62)).ok
    assert stored_totals(database) == expected


def test_page_with_wrong_shape_fails_the_window(fake, settings, make_request):
    fake.fail(USAGE_PATH, Reply(200, {"object": "page", "data": [{"start_time": 1}]}))
    result = run(make_request, settings, START, START + timedelta(days=1))
    assert not result.ok and "malformed" in result.message


def test_cursor_mode_recollects_the_last_days(fake, settings, make_request, database):
    fill(fake, 5)
    first = run(make_request, settings)  # no dates: initial_days back from NOW
    assert first.ok
    first_start = int(fake.requests_to(USAGE_PATH)[0].first("start_time"))
    assert first_start == int(day_start(NOW.date() - timedelta(days=29)).timestamp())
    assert source_state(database, "openai").cursor == NOW
    fake.requests.clear()
    later = NOW + timedelta(days=3)
    assert run(make_request, settings, now=later).ok
    start = int(fake.requests_to(USAGE_PATH)[0].first("start_time"))
    assert start == int(day_start(NOW.date() - timedelta(days=2)).timestamp())
    end = int(fake.requests_to(USAGE_PATH)[-1].first("end_time"))
    assert end == int(day_start(later.date() + timedelta(days=1)).timestamp())
    assert source_state(database, "openai").cursor == later


def test_missing_key_is_not_configured_not_failed(make_settings, make_request, database):
    (result,) = collect_sources(["openai"], make_request(make_settings()))
    assert result.ok and not result.configured and result.status == "not configured"
    assert source_state(database, "openai") is None
