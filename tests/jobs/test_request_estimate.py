"""The measured tokens-per-request divisor used to estimate Anthropic's request counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from golocal.bot.handlers.volume import volume_report
from golocal.bot.services import Services
from golocal.config.settings import load_settings
from golocal.db.usage import SourceDay, upsert_usage_buckets
from golocal.jobs.request_estimate import measured_tokens_per_request

DAY = date(2026, 1, 5)


def day(source, requests, tin, tout, missing=0):
    return SourceDay(DAY, source, "cloud", requests, 0, missing, tin, tout, None, False)


def test_measured_from_sources_with_both_counts():
    rows = [
        day("openai", 200, 700_000, 100_000),  # 4,000 tokens a request
        day("anthropic", None, 900_000, 100_000, missing=3),  # tokens only: ignored
        day("copilot", 500, None, None),  # requests only: ignored
    ]
    assert measured_tokens_per_request(rows, 2500) == 4000


def test_too_little_evidence_keeps_the_default():
    assert measured_tokens_per_request([day("openai", 20, 80_000, 0)], 2500) == 2500
    assert measured_tokens_per_request([], 2500) == 2500


def test_volume_report_estimates_anthropic_with_the_measured_divisor(database):
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    base = {"bucket_start": start, "bucket_seconds": 86400, "location": "cloud"}
    upsert_usage_buckets(database, [
        {**base, "source": "openai", "provider": "openai", "model": "gpt-4o",
         "requests": 300, "input_tokens": 1_000_000, "output_tokens": 200_000},
        {**base, "source": "anthropic", "provider": "anthropic", "model": "claude-sonnet-4",
         "requests": None, "input_tokens": 360_000, "output_tokens": 40_000},
    ])  # fmt: skip
    services = Services(settings=load_settings(None), database=database)
    report = volume_report(services, DAY, DAY + timedelta(days=1))
    (only,) = report.days
    # 1.2M tokens / 300 requests = 4,000 tokens a request; 400k Anthropic tokens → 100
    assert only.requests == 400 and only.requests_estimated
