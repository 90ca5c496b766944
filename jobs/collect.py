"""Collection: run sources, store their records, and keep each source's status.

``golocal collect`` and the scheduler call :func:`collect_sources`. Sources live in a small
registry (name → :class:`SourceEntry`), so local sources can be registered beside the cloud
ones without this module knowing them.

The rules every cloud source follows here:

* no dates: from the source's cursor, re-collecting the last ``collection.recollect_days``
  days (providers settle late); the first run reaches back ``collection.initial_days``;
* dates: a backfill of ``[since, until)``;
* each window is stored once all its pages arrived (summed per natural key, then upserted),
  so a page that fails or is rejected (:mod:`golocal.jobs.sources.bounds`) loses only its own
  window: every earlier window stays stored, and the cursor only advances when the whole run
  succeeded;
* tokens without money are priced with ``genai-prices`` (flagged estimated); a model it
  cannot price stays ``None`` and is reported as unpriced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from types import ModuleType
from typing import Any, TypeVar

import httpx

from golocal.config.settings import Settings
from golocal.db.costs import upsert_cost_lines
from golocal.db.database import Database
from golocal.db.sources import record_failure, record_success, source_state
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs import selfmetrics
from golocal.jobs.http_client import ApiClient, MalformedResponse, RetryPolicy, SourceError
from golocal.jobs.pricing import TokenCounts, clear_price_cache, estimate_cost
from golocal.jobs.sources import anthropic, claude_code, copilot, litellm, openai
from golocal.jobs.sources.bounds import PageRejected, check_page, check_records
from golocal.jobs.sources.records import CostRecord, Page, UsageRecord, day_start

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectRequest:
    """What one collection run needs; ``sleep`` and ``transport`` are replaceable in tests."""

    settings: Settings
    database: Database
    now: datetime
    since: date | None = None
    until: date | None = None
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None


@dataclass(frozen=True)
class CollectResult:
    """The outcome of one source's run, as ``golocal collect`` prints it."""

    source: str
    ok: bool
    configured: bool = True
    windows: int = 0
    rows: int = 0
    message: str = ""
    unpriced: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        if not self.configured:
            return "not configured"
        return "ok" if self.ok else "failed"

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "configured": self.configured,
            "ok": self.ok,
            "windows": self.windows,
            "rows": self.rows,
            "message": self.message,
            "unpriced": list(self.unpriced),
        }


@dataclass(frozen=True)
class SourceEntry:
    """A collectable source: how to tell whether it is configured, and how to run it."""

    name: str
    kind: str
    description: str
    #: why the source cannot run with these settings, or ``None`` when it can
    missing: Callable[[Settings], str | None]
    collect: Callable[[CollectRequest], CollectResult]


_REGISTRY: dict[str, SourceEntry] = {}


def register_source(entry: SourceEntry) -> None:
    """Add (or replace) a source in the registry ``golocal collect`` dispatches on."""
    _REGISTRY[entry.name] = entry


def registered_sources() -> list[SourceEntry]:
    """Every registered source, in registration order."""
    return list(_REGISTRY.values())


def source_entry(name: str) -> SourceEntry | None:
    """The registered source called ``name``, if any."""
    return _REGISTRY.get(name)


def collect_sources(names: Iterable[str] | None, request: CollectRequest) -> list[CollectResult]:
    """Run the named sources (all configured ones when ``names`` is empty), one after another.

    A failing source never stops the others; a source without its key or settings is "not
    configured", which is not a failure. Asking for an unknown name is the caller's mistake
    and raises ``KeyError`` before anything runs.
    """
    wanted = list(names or [])
    for name in wanted:
        if name not in _REGISTRY:
            raise KeyError(name)
    entries = [_REGISTRY[name] for name in wanted] if wanted else registered_sources()
    clear_price_cache()  # rates are cached for one run: a long-lived process sees table updates
    results = []
    for entry in entries:
        reason = entry.missing(request.settings)
        if reason is not None:
            results.append(
                CollectResult(source=entry.name, ok=True, configured=False, message=reason)
            )
            continue
        started = time.monotonic()
        result = entry.collect(request)
        selfmetrics.observe_source(
            entry.name, ok=result.ok, seconds=time.monotonic() - started, rows=result.rows
        )
        results.append(result)
    return results


def retry_policy(settings: Settings) -> RetryPolicy:
    """The HTTP retry policy from ``[collection]``."""
    c = settings.collection
    return RetryPolicy(
        max_attempts=c.max_attempts,
        backoff_initial_s=c.backoff_initial_s,
        backoff_max_s=c.backoff_max_s,
        retry_after_cap_s=c.retry_after_cap_s,
        timeout_s=c.timeout_s,
        max_pages=c.max_pages,
        budget_s=c.source_budget_s,
        max_response_bytes=int(c.max_response_mb * 1024 * 1024),
    )


def collection_range(request: CollectRequest, cursor: datetime | None) -> tuple[datetime, datetime]:
    """The ``[start, end)`` a run covers, as midnight-UTC datetimes."""
    today = request.now.astimezone(UTC).date()
    end = day_start(request.until) if request.until else day_start(today + timedelta(days=1))
    if request.since is not None:
        return day_start(request.since), end
    settings = request.settings.collection
    if cursor is None:
        start = today - timedelta(days=settings.initial_days - 1)
    else:
        start = cursor.astimezone(UTC).date() - timedelta(days=settings.recollect_days)
    return day_start(start), end


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
class _Progress:
    windows: int = 0
    rows: int = 0
    unpriced: set[str] = field(default_factory=set)


def store_records(
    database: Database,
    source: str,
    usage: Iterable[UsageRecord],
    costs: Iterable[CostRecord],
    progress: _Progress,
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


def _read_windows(
    pages: Iterator[Page], name: str, now: datetime, database: Database, progress: _Progress
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


PageReader = Callable[[ApiClient, Settings, datetime, datetime], Iterator[Page]]


def run_cloud_source(
    request: CollectRequest, name: str, module: ModuleType, read_pages: PageReader
) -> CollectResult:
    """Collect one cloud source into the database and record its status.

    Each window is stored once all its pages arrived and passed :mod:`bounds
    <golocal.jobs.sources.bounds>`; a rejected page fails the run with one line naming it,
    keeps every earlier window and leaves the cursor where it was.
    """
    database = request.database
    state = source_state(database, name)
    start, end = collection_range(request, state.cursor if state else None)
    progress = _Progress()
    warnings: list[str] = []
    try:
        with module.open_client(
            request.settings,
            retry_policy(request.settings),
            sleep=request.sleep,
            transport=request.transport,
        ) as client:
            scope = getattr(module, "scope_warnings", None)
            if scope is not None:
                warnings = scope(client)
            pages = read_pages(client, request.settings, start, end)
            _read_windows(pages, name, request.now, database, progress)
    except SourceError as exc:
        return _failed(request, name, progress, exc.message)
    except Exception as exc:
        # A bug or an unexpected answer must not stop the other sources; the message names
        # only the exception type, which cannot carry a secret.
        log.exception("%s: unexpected error while collecting", name)
        return _failed(request, name, progress, f"unexpected error ({type(exc).__name__})")
    for warning in warnings:
        log.warning("%s: %s", name, warning)
    record_success(
        database,
        name,
        kind="cloud",
        at=request.now,
        cursor=min(end, request.now),
        state={
            "windows": progress.windows,
            "rows": progress.rows,
            "since": start.isoformat(),
            "warnings": warnings,
        },
    )
    unpriced = tuple(sorted(progress.unpriced))
    message = f"{start.date()} to {end.date()} (exclusive)"
    if unpriced:
        message += f"; unpriced: {', '.join(unpriced)}"
    for warning in warnings:
        message += f"; WARNING: {warning}"
    return CollectResult(
        source=name,
        ok=True,
        windows=progress.windows,
        rows=progress.rows,
        message=message,
        unpriced=unpriced,
    )


def _failed(request: CollectRequest, name: str, progress: _Progress, reason: str) -> CollectResult:
    record_failure(request.database, name, reason, kind="cloud", at=request.now)
    log.warning("%s: collection failed: %s", name, reason)
    return CollectResult(
        source=name,
        ok=False,
        windows=progress.windows,
        rows=progress.rows,
        message=reason,
        unpriced=tuple(sorted(progress.unpriced)),
    )


def _cloud_entry(module: ModuleType, description: str, read_pages: PageReader) -> SourceEntry:
    name = module.NAME
    return SourceEntry(
        name=name,
        kind="cloud",
        description=description,
        missing=module.missing_credential,
        collect=lambda request: run_cloud_source(request, name, module, read_pages),
    )


def _plain_reader(module: ModuleType) -> PageReader:
    return lambda client, settings, start, end: module.iter_pages(client, start, end)


def _copilot_reader(
    client: ApiClient, settings: Settings, start: datetime, end: datetime
) -> Iterator[Page]:
    assert settings.copilot.org
    return copilot.iter_pages(client, settings.copilot.org, start, end)


for _module, _description in (
    (openai, "OpenAI organisation usage (completions) and costs"),
    (anthropic, "Anthropic Admin API messages usage and cost report"),
    (claude_code, "Anthropic Claude Code usage report (subscription seats)"),
    (litellm, "LiteLLM proxy daily activity"),
):
    register_source(_cloud_entry(_module, _description, _plain_reader(_module)))
register_source(_cloud_entry(copilot, "GitHub Copilot organisation usage metrics", _copilot_reader))
