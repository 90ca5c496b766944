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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Any

import httpx
from sqlalchemy.exc import DBAPIError

from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.db.sources import record_failure, record_success, source_state
from golocal.errors import DatabaseError
from golocal.jobs import selfmetrics
from golocal.jobs.http_client import ApiClient, RetryPolicy, SourceError
from golocal.jobs.pricing import clear_price_cache
from golocal.jobs.sources import anthropic, claude_code, copilot, litellm, openai
from golocal.jobs.sources.records import Page, day_start
from golocal.jobs.window_store import Progress, read_windows

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
        max_clock_skew_s=c.max_clock_skew_s,
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
        if cursor > request.now:
            # left by a run whose clock was ahead: continue from now, never from the future
            log.warning("cursor %s is after now (%s): using now", cursor, request.now)
            cursor = request.now
        start = cursor.astimezone(UTC).date() - timedelta(days=settings.recollect_days)
    return day_start(start), end


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
    progress = Progress()
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
            read_windows(pages, name, request.now, database, progress)
    except SourceError as exc:
        return _failed(request, name, progress, exc.message)
    except (DatabaseError, DBAPIError):
        raise  # the database itself failed (full, read-only, gone): nothing can be recorded
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


def _failed(request: CollectRequest, name: str, progress: Progress, reason: str) -> CollectResult:
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
