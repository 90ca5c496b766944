"""The period a chat question names, read by the one period parser (:mod:`golocal.jobs.periods`).

A question that names no period gets the default window (the last ``default_days`` complete
UTC days), said in the answer; a phrase that is clearly a period but cannot be read ("next
week", "between March 3 and February 30") is refused with the parser's reason — never
answered for another period silently.
"""

from __future__ import annotations

from datetime import date, timedelta

from golocal.errors import UsageError
from golocal.jobs.period_range import Period, PeriodError
from golocal.jobs.periods import find_period

__all__ = ["Period", "period_in"]


def period_in(text: str, today: date, default_days: int) -> Period:
    """The period ``text`` names, else the last ``default_days`` complete days.

    Raises:
        UsageError: a period phrase the parser cannot read (its message says why).
    """
    try:
        found = find_period(text, today=today)
    except PeriodError as exc:
        raise UsageError(str(exc)) from None
    if found is not None:
        return found
    return Period(today - timedelta(days=default_days), today, f"the last {default_days} days")
