"""Time periods named in a question ("this week", "last 30 days", "yesterday"), in UTC days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open range of UTC days, ``since <= day < until``, with its name."""

    since: date
    until: date
    label: str

    @property
    def days(self) -> int:
        return (self.until - self.since).days


_LAST_N = re.compile(r"\b(?:last|past|previous)\s+(\d{1,3})\s+days?\b")


def period_in(text: str, today: date, default_days: int) -> Period:
    """The period a question names, else the last ``default_days`` complete days.

    "This week" and "this month" run up to and including today (a partial day);
    "last week" is the previous ISO week, Monday to Sunday.
    """
    lowered = text.lower()
    if match := _LAST_N.search(lowered):
        days = max(1, min(int(match.group(1)), 366))
        return Period(today - timedelta(days=days), today, f"the last {days} days")
    monday = today - timedelta(days=today.weekday())
    if "last week" in lowered or "previous week" in lowered:
        return Period(monday - timedelta(days=7), monday, "last week")
    if "this week" in lowered:
        return Period(monday, today + timedelta(days=1), "this week")
    if "this month" in lowered:
        return Period(today.replace(day=1), today + timedelta(days=1), "this month")
    if "last month" in lowered:
        first = today.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        return Period(previous, first, "last month")
    if "yesterday" in lowered:
        return Period(today - timedelta(days=1), today, "yesterday")
    if "today" in lowered:
        return Period(today, today + timedelta(days=1), "today")
    return Period(today - timedelta(days=default_days), today, f"the last {default_days} days")
