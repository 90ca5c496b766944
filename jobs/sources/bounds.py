"""Sanity bounds on what a provider page says: a page that breaks one is rejected whole.

A provider page is evidence golocal stores as measured; a count it cannot stand behind is
refused, not stored. :func:`check_page` is pure: it looks at one parsed page against the window
that was asked for and the time of the run, and raises :class:`PageRejected` with the first
reason (``bucket 2100-01-01 outside 2026-07-06..2026-07-09``). The collector then stores
nothing of that window and leaves the source's cursor where it was.

The bounds:

* counts (requests, tokens) are integers in ``[0, 2**53]`` — above 2**53 a JSON number is no
  longer exact in most consumers, and no organisation serves that many in a day;
* money is finite, not negative and at most :data:`MAX_AMOUNT_USD` per line and day;
* a bucket lies inside the requested window and starts no more than a day after "now".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from golocal.jobs.http_client import SourceError
from golocal.jobs.sources.records import CostRecord, Page, UsageRecord, Window

#: the largest count a page may carry (JSON's exact-integer range)
MAX_COUNT = 2**53
#: the largest amount of money one line may carry for one bucket (a billion dollars)
MAX_AMOUNT_USD = Decimal(10**9)
#: how far after "now" a bucket may start (a provider's clock, time zones)
FUTURE_SLACK = timedelta(days=1)

_COUNTS = ("requests", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")


class PageRejected(SourceError):
    """A page said something that cannot be true; nothing of its window is stored."""


def window_text(window: Window) -> str:
    """``2026-07-06..2026-07-09`` (the end is exclusive, as everywhere in golocal)."""
    return f"{window.start:%Y-%m-%d}..{window.end:%Y-%m-%d}"


def check_count(value: int | None, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is ``None`` or an integer in ``[0, 2**53]``."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is not an integer: {value!r}")
    if value < 0:
        raise ValueError(f"{what} is negative: {value:,}")
    if value > MAX_COUNT:
        raise ValueError(f"{what} is above 2^53: {_short(value)}")


def check_amount(value: Decimal | None, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is ``None`` or a sane amount of dollars."""
    if value is None:
        return
    if not value.is_finite():
        raise ValueError(f"{what} is not finite: {value}")
    if value < 0:
        raise ValueError(f"{what} is negative: {value}")
    if value > MAX_AMOUNT_USD:
        raise ValueError(f"{what} is absurd: {_short(value)}")


def _short(value: int | Decimal) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"


def _check_bucket(start: datetime, seconds: int, window: Window | None, now: datetime) -> None:
    day = f"{start:%Y-%m-%d}"
    if window is not None and (
        start < window.start or start + timedelta(seconds=seconds) > window.end
    ):
        raise ValueError(f"bucket {day} outside {window_text(window)}")
    if start > now + FUTURE_SLACK:
        raise ValueError(f"bucket {day} is in the future (now {now:%Y-%m-%d %H:%M} UTC)")


def check_records(
    usage: Iterable[UsageRecord], costs: Iterable[CostRecord], window: Window | None, now: datetime
) -> None:
    """Raise ``ValueError`` with the first thing in these records that cannot be true."""
    for record in usage:
        _check_bucket(record.bucket_start, record.bucket_seconds, window, now)
        where = f"{record.bucket_start:%Y-%m-%d} {record.model or '(no model)'}"
        for name in _COUNTS:
            check_count(getattr(record, name), f"{where}: {name}")
        check_amount(record.cost_usd, f"{where}: cost")
    for line in costs:
        _check_bucket(line.bucket_start, line.bucket_seconds, window, now)
        where = f"{line.bucket_start:%Y-%m-%d} {line.line_item or '(no line item)'}"
        check_amount(line.amount, f"{where}: amount")


def check_page(page: Page, now: datetime) -> None:
    """Raise ``ValueError`` if anything on ``page`` is out of bounds (see the module doc)."""
    check_records(page.usage, page.costs, page.window, now)
