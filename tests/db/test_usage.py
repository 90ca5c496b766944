"""Usage buckets: idempotent natural-key upserts and per-day aggregates, on both dialects."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from golocal.db.usage import (
    count_usage_buckets,
    delete_usage_sources,
    source_days,
    upsert_usage_buckets,
)

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def bucket(**overrides):
    row = {
        "source": "openai",
        "bucket_start": DAY,
        "bucket_seconds": 86400,
        "location": "cloud",
        "provider": "openai",
        "model": "gpt-4.1",
        "project": "proj_a",
        "requests": 100,
        "input_tokens": 20_000,
        "output_tokens": 3_000,
        "cost_usd": Decimal("1.234567891"),
    }
    row.update(overrides)
    return row


def test_recollecting_the_same_window_never_double_counts(database):
    rows = [bucket(), bucket(model="gpt-4.1-mini", requests=50, cost_usd=Decimal("0.10"))]
    assert upsert_usage_buckets(database, rows) == 2
    assert upsert_usage_buckets(database, rows) == 2
    assert count_usage_buckets(database) == 2
    [day] = source_days(database, date(2026, 3, 2), date(2026, 3, 3))
    assert day.requests == 150
    assert day.cost_usd == Decimal("1.334567891")


def test_a_revised_bucket_replaces_the_old_value(database):
    upsert_usage_buckets(database, [bucket()])
    upsert_usage_buckets(database, [bucket(requests=120, cost_usd=Decimal("2.5"))])
    [day] = source_days(database, date(2026, 3, 2), date(2026, 3, 3))
    assert (day.requests, day.cost_usd) == (120, Decimal("2.5"))


def test_missing_values_stay_null_never_zero(database):
    upsert_usage_buckets(
        database,
        [bucket(source="anthropic", provider="anthropic", requests=None, cost_usd=None)],
    )
    [day] = source_days(database, date(2026, 3, 2), date(2026, 3, 3))
    assert day.requests is None
    assert day.cost_usd is None
    assert day.buckets_without_requests == 1
    assert day.tokens_without_requests == 23_000


def test_money_is_exact_to_the_nano_dollar(database):
    amounts = [Decimal("0.000000001"), Decimal("0.1"), Decimal("0.2"), Decimal("1234567.890123456")]
    upsert_usage_buckets(
        database, [bucket(project=f"p{i}", cost_usd=a) for i, a in enumerate(amounts)]
    )
    [day] = source_days(database, date(2026, 3, 2), date(2026, 3, 3))
    assert day.cost_usd == sum(amounts)


def test_hourly_buckets_fold_into_utc_days(database):
    rows = [
        bucket(
            source="coder",
            location="local",
            bucket_seconds=3600,
            bucket_start=DAY + timedelta(hours=h),
            requests=10,
            cost_usd=None,
        )
        for h in range(-2, 26)
    ]
    upsert_usage_buckets(database, rows, batch_size=7)
    days = source_days(database, date(2026, 3, 1), date(2026, 3, 4))
    assert [(d.day, d.requests) for d in days] == [
        (date(2026, 3, 1), 20),
        (date(2026, 3, 2), 240),
        (date(2026, 3, 3), 20),
    ]
    assert source_days(database, date(2026, 3, 2), date(2026, 3, 3))[0].requests == 240


def test_aware_timestamps_in_other_zones_are_stored_as_utc(database):
    from zoneinfo import ZoneInfo

    berlin = datetime(2026, 3, 2, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # 23:30 UTC, 1 March
    upsert_usage_buckets(database, [bucket(bucket_start=berlin, bucket_seconds=3600)])
    [day] = source_days(database, date(2026, 3, 1), date(2026, 3, 3))
    assert day.day == date(2026, 3, 1)


def test_large_batches_and_deleting_by_source_prefix(database):
    rows = [
        bucket(
            source="demo:openai", project=f"p{i % 50}", bucket_start=DAY + timedelta(days=i // 50)
        )
        for i in range(2_500)
    ]
    upsert_usage_buckets(database, rows, batch_size=1000)
    upsert_usage_buckets(database, [bucket()])
    assert count_usage_buckets(database) == 2_501
    assert count_usage_buckets(database, source_prefix="demo:") == 2_500
    assert delete_usage_sources(database, prefix="demo:") == 2_500
    assert count_usage_buckets(database) == 1
