"""Price lookups are cached per price period, and a price change still splits the days."""

from __future__ import annotations

from datetime import date, timedelta

from golocal.jobs import pricing
from golocal.jobs.pricing import TokenCounts, estimate_cost
from golocal.jobs.sources.records import day_start

# genai-prices lists deepseek-v4-flash with new prices from 2026-08-17 (output 0.28 → 0.66 $/M)
# and 2026-09-10; the days below stay clear of the second change
MODEL = "deepseek/deepseek-v4-flash"
CHANGE = date(2026, 8, 17)
TOKENS = TokenCounts(1_000_000, 0, 0, 1_000_000)


def _count_lookups(monkeypatch) -> list[date | None]:
    calls: list[date | None] = []
    real = pricing._lookup_rates

    def counting(provider, model, day):
        calls.append(day)
        return real(provider, model, day)

    monkeypatch.setattr(pricing, "_lookup_rates", counting)
    pricing.clear_price_cache()
    return calls


def test_each_day_gets_the_price_of_its_period(monkeypatch):
    calls = _count_lookups(monkeypatch)
    days = [CHANGE + timedelta(days=offset) for offset in range(-30, 20)]
    costs = {day: estimate_cost("litellm", MODEL, TOKENS, day=day_start(day)) for day in days}
    assert len(calls) == 2  # one lookup before the change, one from it on
    before = pricing._lookup_rates("litellm", MODEL, CHANGE - timedelta(days=1))
    after = pricing._lookup_rates("litellm", MODEL, CHANGE)
    assert before is not None and after is not None and before != after
    assert costs[CHANGE - timedelta(days=1)] == 1_000_000 * (before.uncached_input + before.output)
    assert costs[CHANGE] == 1_000_000 * (after.uncached_input + after.output)
    assert len({costs[day] for day in days if day < CHANGE}) == 1
    assert len({costs[day] for day in days if day >= CHANGE}) == 1


def test_a_model_without_price_changes_is_looked_up_once(monkeypatch):
    calls = _count_lookups(monkeypatch)
    for offset in range(365):
        day = day_start(date(2025, 1, 1) + timedelta(days=offset))
        assert estimate_cost("openai", "gpt-4o", TOKENS, day=day) is not None
    assert len(calls) == 1


def test_an_unknown_model_stays_unpriced_on_every_day(monkeypatch):
    calls = _count_lookups(monkeypatch)
    for offset in range(10):
        day = day_start(date(2025, 1, 1) + timedelta(days=offset))
        assert estimate_cost("openai", "no-such-model-xyz", TOKENS, day=day) is None
    assert len(calls) == 1
