"""Parsing the dates and ranges people type on the command line."""

from __future__ import annotations

from datetime import date

from golocal.errors import UsageError


def parse_day(text: str, option: str) -> date:
    """Parse ``YYYY-MM-DD``; anything else is a one-line usage error naming the option."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date (expected YYYY-MM-DD)") from None


def check_range(since: date, until: date) -> None:
    """``since`` must come before ``until`` (which is exclusive)."""
    if since >= until:
        raise UsageError(f"--since {since} must be before --until {until} (--until is exclusive)")
