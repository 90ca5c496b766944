"""Storing what a cloud source read: windows validated, summed per natural key, priced.

:func:`read_windows` takes a source's pages, checks each against
:mod:`golocal.jobs.sources.bounds`, and stores a window once all its pages arrived: its
records summed per natural key (a provider may split one key's day over pages), tokens
without money priced with ``genai-prices`` (flagged estimated), then upserted. A rejected
page raises :class:`~golocal.jobs.sources.bounds.PageRejected` naming it; nothing of its
window is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

from golocal.db.costs import upsert_cost_lines
from golocal.db.database import Database
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.http_client import MalformedResponse
from golocal.jobs.pricing import TokenCounts, estimate_cost
from golocal.jobs.sources.bounds import PageRejected, check_page, check_records
from golocal.jobs.sources.records import CostRecord, Page, UsageRecord

_Record = TypeVar("_Record", UsageRecord, CostRecord)

_USAGE_KEY = attrgetter(
    "bucket_start", "bucket_seconds", "provider", "model", "project", "api_key", "variant"
)
_COST_KEY = attrgetter("bucket_start", "bucket_seconds", "project", "api_key", "line_item")


def _merge(
    records: Iterable[_Record],
    key: Callable[[_Record], Any],
    add: Callable[[_Record, _Record], _Record],
) -> list[_Record]:
    merged: dict[Any, _Record] = {}
    for record in records:
        natural_key = key(record)
        previous = merged.get(natural_key)
        merged[natural_key] = record if previous is None else add(previous, record)
    return list(merged.values())


def merge_usage(records: Iterable[UsageRecord]) -> list[UsageRecord]:
    """Sum records that share a natural key (one statement must not update a row twice)."""
    return _merge(records, _USAGE_KEY, _add_usage)


def merge_costs(records: Iterable[CostRecord]) -> list[CostRecord]:
    """Sum cost lines that share a natural key."""
    return _merge(records, _COST_KEY, _add_cost)


def _plus(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else a + b


def _add_usage(a: UsageRecord, b: UsageRecord) -> UsageRecord:
    return replace(
        a,
        requests=_plus(a.requests, b.requests),
        input_tokens=_plus(a.input_tokens, b.input_tokens),
        cached_input_tokens=_plus(a.cached_input_tokens, b.cached_input_tokens),
        cache_write_tokens=_plus(a.cache_write_tokens, b.cache_write_tokens),
        output_tokens=_plus(a.output_tokens, b.output_tokens),
        cost_usd=_plus(a.cost_usd, b.cost_usd),
        cost_estimated=a.cost_estimated or b.cost_estimated,
    )


def _add_cost(a: CostRecord, b: CostRecord) -> CostRecord:
    return replace(a, amount=a.amount + b.amount)


def priced(record: UsageRecord, unpriced: set[str]) -> UsageRecord:
    """Add an estimated cost where the source gave tokens but no money."""
    if record.cost_usd is not None:
        return record
    tokens = TokenCounts(
        record.input_tokens,
        record.cached_input_tokens,
        record.cache_write_tokens,
        record.output_tokens,
    )
    if not tokens.any:
        return record
    cost = estimate_cost(record.provider, record.model, tokens, day=record.bucket_start)
    if cost is None:
        unpriced.add(f"{record.provider}/{record.model or '(no model)'}")
        return record
    return replace(record, cost_usd=cost, cost_estimated=True)


def usage_rows(source: str, records: Iterable[UsageRecord]) -> Iterator[dict[str, Any]]:
    """Usage records as rows for :func:`golocal.db.usage.upsert_usage_buckets`."""
    for r in records:
        yield {
            "source": source,
            "bucket_start": r.bucket_start,
            "bucket_seconds": r.bucket_seconds,
            "location": r.location,
            "provider": r.provider,
            "model": r.model,
            "project": r.project,
            "api_key": r.api_key,
            "variant": r.variant,
            "requests": r.requests,
            "input_tokens": r.input_tokens,
            "cached_input_tokens": r.cached_input_tokens,
            "cache_write_tokens": r.cache_write_tokens,
            "output_tokens": r.output_tokens,
            "cost_usd": r.cost_usd,
            "cost_estimated": r.cost_estimated,
        }


def cost_rows(source: str, records: Iterable[CostRecord]) -> Iterator[dict[str, Any]]:
    """Cost records as rows for :func:`golocal.db.costs.upsert_cost_lines`."""
    for r in records:
        yield {
            "source": source,
            "provider": r.provider,
            "bucket_start": r.bucket_start,
            "bucket_seconds": r.bucket_seconds,
            "project": r.project,
            "api_key": r.api_key,
            "line_item": r.line_item,
            "model": r.model,
            "amount": r.amount,
            "currency": r.currency,
        }


@dataclass
class Progress:
    windows: int = 0
    rows: int = 0
    unpriced: set[str] = field(default_factory=set)


def store_records(
    database: Database,
    source: str,
    usage: Iterable[UsageRecord],
    costs: Iterable[CostRecord],
    progress: Progress,
) -> None:
    """Store records (summed per natural key; each batch commits on its own) and count them."""
    priced_usage = [priced(record, progress.unpriced) for record in merge_usage(usage)]
    progress.rows += upsert_usage_buckets(database, usage_rows(source, priced_usage))
    progress.rows += upsert_cost_lines(database, cost_rows(source, merge_costs(costs)))


@dataclass
class _WindowBuffer:
    """The pages of the window being read: stored together once its last page arrived.

    A window's pages may split one natural key (LiteLLM pages over raw spend rows, so one
    day × model × key can sit on two pages): its records are summed over the whole window
    before they are upserted, and a page that is rejected loses the window, not half of it.
    """

    pages: int = 0
    usage: list[UsageRecord] = field(default_factory=list)
    costs: list[CostRecord] = field(default_factory=list)

    def add(self, page: Page) -> None:
        self.pages += 1
        self.usage.extend(page.usage)
        self.costs.extend(page.costs)


def read_windows(
    pages: Iterator[Page], name: str, now: datetime, database: Database, progress: Progress
) -> None:
    """Validate every page, and store each window once all its pages are in."""
    buffer = _WindowBuffer()
    while True:
        try:
            page = next(pages)
        except StopIteration:
            break
        except MalformedResponse as exc:
            raise PageRejected(f"{name}: page {buffer.pages + 1} rejected: {exc.message}") from None
        try:
            check_page(page, now)
        except ValueError as exc:
            raise PageRejected(f"{name}: page {buffer.pages + 1} rejected: {exc}") from None
        buffer.add(page)
        if page.window_done:
            merged = merge_usage(buffer.usage)
            try:
                check_records(merged, merge_costs(buffer.costs), None, now)
            except ValueError as exc:
                raise PageRejected(f"{name}: window rejected: {exc}") from None
            store_records(database, name, merged, buffer.costs, progress)
            progress.windows += 1
            buffer = _WindowBuffer()
    if buffer.pages:
        # a reader that ended without closing its window: store what it said
        store_records(database, name, buffer.usage, buffer.costs, progress)
