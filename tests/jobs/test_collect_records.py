"""Pure pieces of collection: windows, variants, merging, pricing, Copilot files."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from golocal.jobs.http_client import MalformedResponse
from golocal.jobs.pricing import TokenCounts, estimate_cost
from golocal.jobs.sources.copilot import parse_report
from golocal.jobs.sources.records import CostRecord, UsageRecord, split_windows, variant_of
from golocal.jobs.window_store import merge_costs, merge_usage, priced

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_windows_cover_the_range_without_overlap():
    windows = list(split_windows(T0, T0 + timedelta(days=70), 31))
    assert [(w.end - w.start).days for w in windows] == [31, 31, 8]
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    assert list(split_windows(T0, T0, 31)) == []


def test_variant_skips_absent_dimensions():
    assert variant_of([("batch", True), ("tier", "flex")]) == "batch=true;tier=flex"
    assert variant_of([("batch", None), ("tier", None)]) == ""


def test_duplicate_keys_are_summed_keeping_unknowns_unknown():
    a = UsageRecord(T0, 86400, "anthropic", model="m", requests=None, input_tokens=5)
    b = UsageRecord(T0, 86400, "anthropic", model="m", requests=None, input_tokens=7)
    (merged,) = merge_usage([a, b])
    assert merged.requests is None and merged.input_tokens == 12
    c1 = CostRecord(T0, 86400, "anthropic", Decimal("0.01"), line_item="x")
    c2 = CostRecord(T0, 86400, "anthropic", Decimal("0.02"), line_item="x")
    assert [c.amount for c in merge_costs([c1, c2])] == [Decimal("0.03")]


def test_pricing_flags_estimates_and_never_prices_unknown_models_at_zero():
    unpriced: set[str] = set()
    known = priced(
        UsageRecord(
            T0, 86400, "openai", model="gpt-4o-mini", input_tokens=1_000_000, output_tokens=0
        ),
        unpriced,
    )
    assert known.cost_usd == Decimal("0.15") and known.cost_estimated
    unknown = priced(
        UsageRecord(T0, 86400, "openai", model="acme-7b", input_tokens=10, output_tokens=1),
        unpriced,
    )
    assert unknown.cost_usd is None and not unknown.cost_estimated
    assert unpriced == {"openai/acme-7b"}
    billed = UsageRecord(T0, 86400, "litellm", model="x", input_tokens=1, cost_usd=Decimal("2"))
    assert priced(billed, unpriced) is billed


def test_fine_tuned_models_are_priced_as_fine_tunes():
    base = estimate_cost("openai", "gpt-4o-mini", TokenCounts(1_000_000, 0, None, 0))
    tuned = estimate_cost(
        "openai", "ft:gpt-4o-mini-2024-07-18:acme::x1", TokenCounts(1_000_000, 0, None, 0)
    )
    assert tuned is not None and base is not None and tuned > base


def test_copilot_file_with_day_totals_wrapper_and_user_rows():
    text = (
        '{"day_totals": [{"day": "2026-01-02", "user_initiated_interaction_count": 5}, '
        '{"day": "2026-01-03", "user_initiated_interaction_count": 7, '
        '"totals_by_cli": {"request_count": 3}}]}\n'
        '{"day": "2026-01-02", "user_login": "octo", "user_initiated_interaction_count": 5}\n'
    )
    records = parse_report(text, date(2026, 1, 2))
    assert [(r.bucket_start.date(), r.requests) for r in records] == [
        (date(2026, 1, 2), 5),
        (date(2026, 1, 3), 10),
    ]


def test_copilot_broken_file_is_malformed():
    with pytest.raises(MalformedResponse):
        parse_report('{"day": "2026-01-02", ', date(2026, 1, 2))


def test_aggregated_buckets_are_priced_at_the_base_tier():
    # a busy day of 1M input tokens is many requests, not one long-context request
    cost = estimate_cost("litellm", "google/gemini-2.5-pro", TokenCounts(1_000_000, 0, 0, 0))
    assert cost == Decimal("1.25")
