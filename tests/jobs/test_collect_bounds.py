"""Provider pages that say impossible things are rejected whole, and nothing else is lost.

A page with negative counts or money, a bucket outside the requested window or in the
future, a count above 2^53, a non-finite or absurd amount or a field of the wrong type fails
its window with one line; every earlier window stays stored and the cursor does not move.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from golocal.db.costs import cost_line_total
from golocal.db.sources import source_state
from golocal.db.usage import source_days
from golocal.jobs.collect import collect_sources
from golocal.jobs.sources.bounds import check_amount, check_count
from tests.fakes.openai import COSTS_PATH, USAGE_PATH, FakeOpenAI, days
from tests.fakes.server import Reply

KEY = "sk-admin-test-bounds-SECRET"
START = date(2026, 1, 1)
#: the second 31-day window of a 62-day backfill starts here
SECOND = START + timedelta(days=31)


@pytest.fixture
def fake():
    server = FakeOpenAI(KEY).start()
    yield server
    server.stop()


@pytest.fixture
def settings(make_settings, fake):
    return make_settings(OPENAI_ADMIN_KEY=KEY, GOLOCAL_OPENAI_BASE_URL=fake.base_url)


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _result(**changes):
    result = {
        "object": "organization.usage.completions.result",
        "input_tokens": 1000,
        "output_tokens": 100,
        "input_cached_tokens": 0,
        "num_model_requests": 10,
        "project_id": "proj_a",
        "api_key_id": "key_1",
        "model": "gpt-4o",
        "batch": False,
        "service_tier": "default",
    }
    result.update(changes)
    return result


def _page(results, day=SECOND, *, start_time=None, end_time=None):
    start = _unix(day) if start_time is None else start_time
    return {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": start,
                "end_time": start + 86_400 if end_time is None else end_time,
                "results": results,
            }
        ],
        "has_more": False,
        "next_page": None,
    }


def _fill(fake, count=62):
    for day in days(START, count):
        fake.add_usage(day, "gpt-4o", "proj_a", requests=10, api_key_id="key_1")


def _requests(database, since=START, until=START + timedelta(days=62)):
    return sum(d.requests or 0 for d in source_days(database, since, until) if d.source == "openai")


def _backfill(make_request, settings):
    (result,) = collect_sources(
        ["openai"], make_request(settings, START, START + timedelta(days=62))
    )
    return result


BAD_PAGES = [
    pytest.param(
        json.dumps(_page([_result(num_model_requests=-9_970_400)])),
        "2026-02-01 gpt-4o: requests is negative: -9,970,400",
        id="negative-count",
    ),
    pytest.param(
        json.dumps(_page([_result()], date(2100, 1, 1))),
        "bucket 2100-01-01 outside 2026-02-01..2026-03-04",
        id="bucket-outside-window",
    ),
    pytest.param(
        json.dumps(_page([_result(input_tokens=2**53 + 1)])),
        "gpt-4o: input_tokens is above 2^53",
        id="count-above-2^53",
    ),
    pytest.param(
        json.dumps(_page([_result(output_tokens=2**64 + 7)])),
        "gpt-4o: output_tokens is above 2^53",
        id="int-above-2^63",
    ),
    pytest.param(
        json.dumps(_page([_result(model=[])])),
        "model is not a string: []",
        id="model-is-a-list",
    ),
    pytest.param(
        json.dumps(_page([_result(service_tier={"tier": "flex"})])),
        "tier is not a plain value",
        id="service-tier-is-an-object",
    ),
    pytest.param(
        json.dumps(_page([_result(num_model_requests="12")])),
        "num_model_requests is not an integer",
        id="count-is-a-string",
    ),
    pytest.param(
        json.dumps(_page([_result(num_model_requests=1.5)])),
        "num_model_requests is not an integer",
        id="count-is-a-float",
    ),
    pytest.param(
        json.dumps(_page([_result()], end_time=10**25)).replace(str(10**25), "1e25"),
        "timestamp out of range: ",
        id="end-time-1e25",
    ),
    pytest.param(
        json.dumps(_page([_result()], start_time=_unix(SECOND) + 86_400, end_time=_unix(SECOND))),
        "bucket ends before it starts",
        id="reversed-bucket",
    ),
]


@pytest.mark.parametrize(("body", "reason"), BAD_PAGES)
def test_nonsense_usage_page_fails_its_window_and_keeps_earlier_ones(
    body, reason, fake, settings, make_request, database
):
    _fill(fake)
    # the first 31-day window is served normally; the second window's first page is nonsense
    fake.fail(USAGE_PATH, Reply(200, body), after=1)
    result = _backfill(make_request, settings)
    assert not result.ok
    assert result.message.startswith("openai: page 1 rejected: "), result.message
    assert reason in result.message
    assert "\n" not in result.message
    # the earlier window is stored, nothing of the rejected window is, the cursor did not move
    assert _requests(database, START, SECOND) == 31 * 10
    assert _requests(database, SECOND) == 0
    state = source_state(database, "openai")
    assert state.cursor is None and state.last_error == result.message
    # the next run (the provider answers sensibly again) completes the backfill
    assert _backfill(make_request, settings).ok
    assert _requests(database) == 62 * 10


def test_nonsense_second_page_loses_the_first_page_of_its_window(
    fake, settings, make_request, database
):
    fake.page_cap = 10  # pages of 10 days: the 2nd window's second page is the 5th request
    _fill(fake)
    bad = _page([_result(num_model_requests=-1)], SECOND + timedelta(days=10))
    fake.fail(USAGE_PATH, Reply(200, bad), after=5)
    result = _backfill(make_request, settings)
    assert not result.ok
    assert result.message == "openai: page 2 rejected: 2026-02-11 gpt-4o: requests is negative: -1"
    assert _requests(database, START, SECOND) == 31 * 10
    assert _requests(database, SECOND) == 0  # page 1 of that window is not stored either


def test_bucket_in_the_future_is_rejected(fake, settings, make_request, database):
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    tomorrow = date(2026, 3, 12)  # more than a day after "now"
    fake.add_usage(tomorrow, "gpt-4o", "proj_a", requests=99)
    (result,) = collect_sources(
        ["openai"], make_request(settings, date(2026, 3, 9), date(2026, 3, 13), now=now)
    )
    assert not result.ok
    assert "bucket 2026-03-12 is in the future" in result.message
    assert _requests(database, date(2026, 3, 1), date(2026, 3, 20)) == 0


COST_AMOUNTS = [
    pytest.param("1E+999999999", "gpt-4o, output: amount is absurd", id="1E+999999999"),
    pytest.param("-12.5", "amount is negative: -12.5", id="negative-money"),
    pytest.param("NaN", "amount.value is not finite", id="NaN"),
    pytest.param("Infinity", "amount.value is not finite", id="Infinity"),
    pytest.param("2000000000.01", "amount is absurd", id="two-billion"),
    pytest.param('"a lot"', "amount.value is not a number", id="text"),
]


@pytest.mark.parametrize(("amount", "reason"), COST_AMOUNTS)
def test_absurd_cost_amounts_are_rejected_not_stored(
    amount, reason, fake, settings, make_request, database
):
    fake.add_cost(START, "gpt-4o, input", "proj_a", 1.25)
    body = (
        '{"object": "page", "has_more": false, "next_page": null, "data": [{"object": "bucket", '
        f'"start_time": {_unix(START)}, "end_time": {_unix(START) + 86_400}, "results": ['
        '{"object": "organization.costs.result", "line_item": "gpt-4o, output", '
        f'"project_id": "proj_a", "amount": {{"value": {amount}, "currency": "usd"}}}}]}}]}}'
    )
    fake.fail(COSTS_PATH, Reply(200, body))
    (result,) = collect_sources(["openai"], make_request(settings, START, START + timedelta(1)))
    assert not result.ok
    assert result.message.startswith("openai: page 1 rejected: ")
    assert reason in result.message
    assert len(result.message) < 200
    since = datetime(2025, 12, 1, tzinfo=UTC)
    until = datetime(2026, 2, 1, tzinfo=UTC)
    assert cost_line_total(database, source="openai", since=since, until=until) is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [(None, True), (0, True), (2**53, True), (2**53 + 1, False), (-1, False), (True, False)],
)
def test_count_bounds(value, ok):
    if ok:
        check_count(value, "requests")
    else:
        with pytest.raises(ValueError, match="requests"):
            check_count(value, "requests")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (None, True),
        (Decimal(0), True),
        (Decimal("1000000000"), True),
        (Decimal("1000000000.000000001"), False),
        (Decimal("-0.01"), False),
        (Decimal("NaN"), False),
        (Decimal("-Infinity"), False),
    ],
)
def test_amount_bounds(value, ok):
    if ok:
        check_amount(value, "cost")
    else:
        with pytest.raises(ValueError, match="cost"):
            check_amount(value, "cost")
