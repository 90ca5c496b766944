"""Plain records the cloud sources produce: what a provider reported, in golocal's units.

No database code here (docs/ARCHITECTURE.md, "Folders"): :mod:`golocal.jobs.collect` turns
these into rows. Absent dimensions are ``''`` and absent counts ``None`` ("not reported", never 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """Requests, tokens (and money, if the source has it) of one bucket and dimension set."""

    bucket_start: datetime
    bucket_seconds: int
    provider: str
    model: str = ""
    project: str = ""
    api_key: str = ""
    #: further dimensions that split a bucket, e.g. "batch=true;tier=flex"
    variant: str = ""
    requests: int | None = None
    input_tokens: int | None = None
    cached_input_tokens: int | None = None
    cache_write_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: Decimal | None = None
    cost_estimated: bool = False
    location: str = "cloud"


@dataclass(frozen=True, slots=True)
class CostRecord:
    """One line of a provider's own cost report, in dollars."""

    bucket_start: datetime
    bucket_seconds: int
    provider: str
    amount: Decimal
    currency: str = "USD"
    project: str = ""
    api_key: str = ""
    line_item: str = ""
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """What one provider page held; ``window_done`` marks the last page of a window."""

    usage: list[UsageRecord] = field(default_factory=list)
    costs: list[CostRecord] = field(default_factory=list)
    window_done: bool = False
    #: the window that was asked for (buckets outside it are nonsense); ``None``: not known
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open UTC range ``[start, end)`` sent as one paginated query."""

    start: datetime
    end: datetime


def day_start(day: date) -> datetime:
    """Midnight UTC of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def split_windows(start: datetime, end: datetime, max_days: int) -> Iterator[Window]:
    """Split ``[start, end)`` into windows of at most ``max_days`` days, oldest first."""
    step = timedelta(days=max_days)
    cursor = start
    while cursor < end:
        window_end = min(cursor + step, end)
        yield Window(cursor, window_end)
        cursor = window_end


def variant_of(parts: Iterable[tuple[str, Any]]) -> str:
    """``[("batch", True), ("tier", "flex")]`` → ``"batch=true;tier=flex"`` (None skipped).

    A list or an object where a plain value belongs is malformed (``ValueError``).
    """
    rendered = []
    for name, value in parts:
        if value is None or value == "":
            continue
        if not isinstance(value, str | int | float | bool):
            raise ValueError(f"{name} is not a plain value: {_repr(value)}")
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        rendered.append(f"{name}={text}")
    return ";".join(rendered)


def from_unix(seconds: Any) -> datetime:
    """A Unix timestamp from a provider page as an aware UTC datetime."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | Decimal):
        raise ValueError(f"expected a Unix timestamp, got {seconds!r}")
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"timestamp out of range: {seconds!r}") from None


def parse_rfc3339(text: Any) -> datetime:
    """An RFC 3339 timestamp (``2025-08-01T00:00:00Z``) as an aware UTC datetime."""
    if not isinstance(text, str):
        raise ValueError(f"expected an RFC 3339 timestamp, got {text!r}")
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def optional_int(data: dict[str, Any], key: str) -> int | None:
    """An optional integer counter: absent or null is ``None``; anything else must be an int."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} is not an integer: {value!r}")
    return value


def required_int(data: dict[str, Any], key: str) -> int:
    """A required integer counter."""
    value = optional_int(data, key)
    if value is None:
        raise ValueError(f"{key} is missing")
    return value


def decimal_of(value: Any, what: str) -> Decimal:
    """A JSON number or decimal string as an exact ``Decimal`` (never through a float's repr)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{what} is not a number: {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"{what} is not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{what} is not finite: {value!r}")
    return result


#: the longest dimension value golocal stores (the database columns' width)
MAX_TEXT = 200


def text_or_empty(value: Any, what: str = "dimension", max_len: int = MAX_TEXT) -> str:
    """A nullable string dimension as golocal stores it: ``''`` for null.

    Anything but a string (``"model": []``) or a string longer than ``max_len`` is
    malformed: it is refused, not stored as its ``repr``.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string: {_repr(value)}")
    if len(value) > max_len:
        raise ValueError(f"{what} is longer than {max_len} characters")
    return value


def _repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def zero_usage(
    start: datetime, seconds: int, provider: str, *, requests: int | None
) -> UsageRecord:
    """A reported interval with no usage: zero tokens and $0, so the day counts as measured.

    ``requests`` is ``0`` for sources that count requests and ``None`` for those that do not.
    """
    return UsageRecord(
        bucket_start=start,
        bucket_seconds=seconds,
        provider=provider,
        requests=requests,
        input_tokens=0,
        output_tokens=0,
        cost_usd=Decimal(0),
    )
