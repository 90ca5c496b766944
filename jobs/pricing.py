"""Estimated prices for usage that arrived as tokens without money, via ``genai-prices``.

A model the price table does not know is **unpriced**: its cost stays ``None`` and it is
listed, never priced at $0 (a silent zero would make cloud look free).
"""

from __future__ import annotations

import logging
import warnings
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import get_snapshot
from genai_prices.types import StartDateConstraint, TimeOfDateConstraint

from golocal.db.costs import estimated_usage_rows, set_estimated_costs
from golocal.db.database import Database

log = logging.getLogger(__name__)

#: golocal's provider names → genai-prices provider ids (None: let it match on the model)
_PROVIDER_IDS: dict[str, str | None] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "litellm": None,
}


@dataclass(frozen=True, slots=True)
class TokenCounts:
    """What a price is computed from; ``input_tokens`` includes cached and cache-write."""

    input_tokens: int | None
    cached_input_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None

    @property
    def any(self) -> bool:
        return bool((self.input_tokens or 0) + (self.output_tokens or 0))


def _model_ref(provider: str, model: str) -> tuple[str, str | None]:
    """A gateway's ``openai/gpt-4o`` names its provider; a fine-tune ``ft:base:org::id``
    is priced as the fine-tuned base model (genai-prices knows the ft: rates)."""
    provider_id = _PROVIDER_IDS.get(provider)
    if provider_id is None and "/" in model:
        prefix, rest = model.split("/", 1)
        return rest, prefix
    return model, provider_id


@dataclass(frozen=True, slots=True)
class TokenRates:
    """Dollars per token of each kind, at the price table's base tier."""

    uncached_input: Decimal
    cached_input: Decimal
    cache_write: Decimal
    output: Decimal


def _one(model_ref: str, provider_id: str | None, day: datetime | None, **tokens: int) -> Decimal:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # genai-prices warns about keys we never pass
        result = calc_price(
            Usage(**tokens), model_ref, provider_id=provider_id, genai_request_timestamp=day
        )
    return Decimal(result.total_price)


#: (provider, model, price period) → rates; see :func:`token_rates`
_RATES: dict[tuple[str, str, date | None], TokenRates | None] = {}


def clear_price_cache() -> None:
    """Forget cached rates, e.g. before a run that should see a refreshed price table."""
    _RATES.clear()
    _price_change_days.cache_clear()


def token_rates(provider: str, model: str, day: date | None) -> TokenRates | None:
    """The per-token rates of a model on a day, or ``None`` when the table cannot price it.

    Buckets aggregate many requests, so a bucket's tokens must not be priced as if they were
    one request: long-context tiers (e.g. above 200k input tokens per request) would then
    apply to every busy day. Pricing one token of each kind gives the base-tier rates, which
    are then multiplied by the bucket's counts.

    Rates are cached per price period (the days between two of the model's price changes),
    so a year of daily buckets costs one table lookup per model and price, not per day.
    """
    key = (provider, model, None if day is None else _price_period(provider, model, day))
    try:
        return _RATES[key]
    except KeyError:
        rates = _RATES[key] = _lookup_rates(provider, model, day)
        return rates


def _price_period(provider: str, model: str, day: date) -> date:
    """The first day of the price period ``day`` falls in (``day`` itself when unknown)."""
    changes = _price_change_days(provider, model)
    if changes is None:
        return day
    index = bisect_right(changes, day)
    return changes[index - 1] if index else date.min


@lru_cache(maxsize=1024)
def _price_change_days(provider: str, model: str) -> tuple[date, ...] | None:
    """The days the model's price changes on, per genai-prices; ``None`` if it cannot tell.

    genai-prices picks a model's price by ``StartDateConstraint`` (a UTC day) or by a time
    of day; golocal always prices at noon UTC, so only the start dates split periods. A
    model it cannot find has no changes: it is unpriced on every day alike.
    """
    model_ref, provider_id = _model_ref(provider, model)
    try:
        _, info = get_snapshot().find_provider_model(model_ref, None, provider_id, None)
    except LookupError:
        return ()
    except ValueError:
        return None
    if not isinstance(info.prices, list):
        return ()
    starts = []
    for conditional in info.prices:
        constraint = conditional.constraint
        if isinstance(constraint, StartDateConstraint):
            starts.append(constraint.start_date)
        elif constraint is not None and not isinstance(constraint, TimeOfDateConstraint):
            return None  # a kind of constraint golocal does not know: cache by day
    return tuple(sorted(starts))


def _lookup_rates(provider: str, model: str, day: date | None) -> TokenRates | None:
    model_ref, provider_id = _model_ref(provider, model)
    when = None if day is None else datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    try:
        uncached = _one(model_ref, provider_id, when, input_tokens=1)
        cached = _one(model_ref, provider_id, when, input_tokens=1, cache_read_tokens=1)
        write = _one(model_ref, provider_id, when, input_tokens=1, cache_write_tokens=1)
        output = _one(model_ref, provider_id, when, output_tokens=1)
    except LookupError:
        return None
    except ValueError as exc:
        log.info("cannot price %s/%s: %s", provider, model, exc)
        return None
    return TokenRates(uncached, cached, write, output)


def estimate_cost(
    provider: str, model: str, tokens: TokenCounts, *, day: datetime | None = None
) -> Decimal | None:
    """The estimated cost in dollars, or ``None`` when the model cannot be priced.

    Args:
        provider: golocal's provider name (``openai``, ``anthropic``, ``litellm``).
        model: the model id as the provider reported it.
        tokens: the bucket's token counts.
        day: when the tokens were used (prices change over time); ``None`` means now.
    """
    if not model or not tokens.any:
        return None
    rates = token_rates(provider, model, None if day is None else day.date())
    if rates is None:
        return None
    cached = tokens.cached_input_tokens or 0
    write = tokens.cache_write_tokens or 0
    # input_tokens includes cached and cache-write tokens (every source maps it that way)
    uncached = max(0, (tokens.input_tokens or 0) - cached - write)
    return (
        uncached * rates.uncached_input
        + cached * rates.cached_input
        + write * rates.cache_write
        + (tokens.output_tokens or 0) * rates.output
    )


@dataclass(frozen=True, slots=True)
class RepriceResult:
    """What ``golocal reprice`` changed."""

    rows: int
    priced: int
    unpriced: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"rows": self.rows, "priced": self.priced, "unpriced": list(self.unpriced)}


def reprice(database: Database, since: datetime) -> RepriceResult:
    """Recompute every estimated (or unknown) cloud cost since ``since`` from the price table.

    Costs a provider reported itself are never touched; a model the table still cannot price
    goes back to ``None`` (unpriced), never $0.
    """
    clear_price_cache()
    rows = estimated_usage_rows(database, since)
    updates: list[tuple[int, Decimal | None]] = []
    unpriced: set[str] = set()
    for row in rows:
        tokens = TokenCounts(
            row.input_tokens, row.cached_input_tokens, row.cache_write_tokens, row.output_tokens
        )
        cost = estimate_cost(row.provider, row.model, tokens, day=row.bucket_start)
        if cost is None:
            unpriced.add(f"{row.provider}/{row.model or '(no model)'}")
        updates.append((row.id, cost))
    set_estimated_costs(database, updates)
    return RepriceResult(
        rows=len(rows),
        priced=sum(1 for _, cost in updates if cost is not None),
        unpriced=tuple(sorted(unpriced)),
    )
