"""Parsing the dates and ranges people type on the command line."""

from __future__ import annotations

from datetime import date

from golocal.errors import UsageError

#: The days golocal reasons about: far outside them a date is a typo, and day arithmetic
#: near date.min/date.max overflows instead of answering.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
#: The longest range a command takes (ten years of days).
MAX_RANGE_DAYS = 3660


def parse_day(text: str, option: str) -> date:
    """Parse ``YYYY-MM-DD``; anything else is a one-line usage error naming the option."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date (expected YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(
            f"{option}: {day} is outside the days golocal handles ({FIRST_DAY} to {LAST_DAY})"
        )
    return day


def check_range(since: date, until: date) -> None:
    """``since`` must come before ``until`` (which is exclusive), at most ten years apart."""
    if since >= until:
        raise UsageError(f"--since {since} must be before --until {until} (--until is exclusive)")
    if (until - since).days > MAX_RANGE_DAYS:
        raise UsageError(
            f"--since {since} to --until {until} is {(until - since).days:,} days; "
            f"at most {MAX_RANGE_DAYS:,} at a time"
        )
