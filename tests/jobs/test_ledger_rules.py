"""The ledger's money rules on hand-made lines (pure: no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from golocal.db.ledger import BilledLine, UsageLine
from golocal.jobs.ledger import Basis, build_ledger
from golocal.jobs.showback import spend_by

DAY = date(2026, 3, 2)
USAGE = UsageLine(
    day=DAY,
    source="openai",
    location="cloud",
    provider="openai",
    model="gpt-4o-2024-08-06",
    project="proj_a",
    api_key="key_1",
    team=None,
    requests=100,
    tokens_without_requests=0,
    buckets_without_requests=0,
    input_tokens=300_000,
    output_tokens=30_000,
    cost_usd=Decimal("3"),
    cost_estimated=True,
    unpriced_buckets=0,
)
BILL = BilledLine(
    day=DAY,
    source="openai",
    provider="openai",
    project="",
    api_key="",
    line_item="usage",
    model=None,
    amount=Decimal("10"),
)


def _ledger(usage: list[UsageLine], billed: list[BilledLine]):
    return build_ledger(usage, billed, DAY, date(2026, 3, 3), tokens_per_request=2500)


def test_a_bill_naming_no_model_is_allocated_over_the_days_usage_by_priced_shares():
    usage = [USAGE, replace(USAGE, model="gpt-4o-mini", cost_usd=Decimal("1"))]
    ledger = _ledger(usage, [BILL])
    money = {e.model: (e.cost_usd, e.basis) for e in ledger.entries}
    assert money == {
        "gpt-4o-2024-08-06": (Decimal("7.5"), Basis.ALLOCATED),
        "gpt-4o-mini": (Decimal("2.5"), Basis.ALLOCATED),
    }
    # the provider-day as a whole holds the whole bill: billed, not allocated
    (row,) = spend_by(ledger, "provider").rows
    assert (row.cost_usd, row.basis) == (Decimal("10"), Basis.BILLED)


def test_unpriced_usage_is_allocated_by_tokens_and_is_no_longer_unpriced():
    usage = [replace(USAGE, cost_usd=None), replace(USAGE, model="x", input_tokens=630_000)]
    ledger = _ledger(usage, [BILL])
    shares = sorted(e.cost_usd for e in ledger.entries)
    assert shares == [Decimal("3.333333333"), Decimal("6.666666667")]
    assert all(e.unpriced_buckets == 0 for e in ledger.entries)


def test_a_model_line_finds_its_dated_model_and_a_line_item_stays_its_own():
    bills = [
        replace(BILL, model="gpt-4o", line_item="gpt-4o, input", amount=Decimal("4")),
        replace(BILL, line_item="Web search tool calls", amount=Decimal("0.5")),
    ]
    ledger = _ledger([USAGE], bills)
    entries = {(e.model, e.line_item): e for e in ledger.entries}
    usage = entries[("gpt-4o-2024-08-06", "")]
    assert (usage.cost_usd, usage.basis, usage.requests) == (Decimal("4"), Basis.BILLED, 100)
    item = entries[("", "Web search tool calls")]
    assert (item.cost_usd, item.requests) == (Decimal("0.5"), 0)
    assert ledger.cloud_total() == Decimal("4.5")


def test_no_bill_keeps_the_estimate_and_unpriced_stays_unknown():
    ledger = _ledger([USAGE, replace(USAGE, model="mystery", cost_usd=None)], [])
    bases = {e.model: (e.cost_usd, e.basis) for e in ledger.entries}
    assert bases == {
        "gpt-4o-2024-08-06": (Decimal("3"), Basis.ESTIMATED),
        "mystery": (None, Basis.UNPRICED),
    }
    assert spend_by(ledger, "model").unpriced_models == ["mystery"]


def test_a_bill_without_usage_is_still_money():
    ledger = _ledger([], [replace(BILL, model="gpt-4o", line_item="gpt-4o, input")])
    (entry,) = ledger.entries
    assert (entry.cost_usd, entry.requests, entry.model) == (Decimal("10"), 0, "gpt-4o")
    (day,) = ledger.source_days()
    assert (day.cost_usd, day.requests, day.cost_basis) == (Decimal("10"), None, "billed")


def test_token_only_requests_use_the_same_days_measured_divisor():
    counted = replace(USAGE, requests=100, input_tokens=390_000, output_tokens=10_000)
    token_only = replace(
        USAGE,
        source="anthropic",
        provider="anthropic",
        model="claude",
        requests=None,
        tokens_without_requests=1_000_000,
        buckets_without_requests=1,
        input_tokens=900_000,
        output_tokens=100_000,
    )
    ledger = _ledger([counted, token_only], [])
    estimate = next(e for e in ledger.entries if e.source == "anthropic")
    # 400,000 tokens over 100 counted requests: 4,000 a request → 250, not 1e6 / 2,500
    assert (estimate.requests, estimate.requests_estimate) == (250, 250)


def test_a_line_in_another_currency_is_shown_unpriced_and_bills_nothing():
    euro = replace(BILL, line_item="Support plan", amount=Decimal("40"), currency="EUR")
    ledger = _ledger([USAGE], [euro])
    entries = {e.line_item: e for e in ledger.entries}
    assert (entries[""].cost_usd, entries[""].basis) == (Decimal("3"), Basis.ESTIMATED)
    item = entries["Support plan (40 EUR)"]
    assert (item.cost_usd, item.basis) == (None, Basis.UNPRICED)
    assert ledger.cloud_total() == Decimal("3")
