"""A period of UTC days (``since <= day < until``) and how much of it has data.

The phrases that name periods are read in :mod:`golocal.jobs.periods`; this module holds the
value they produce and its coverage object, the ``period`` of every spend and volume answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from golocal.errors import UsageError

#: the longest period golocal reads, in days (ten years)
MAX_DAYS = 3660


class PeriodError(UsageError, ValueError):
    """A period phrase that cannot be read; the message is meant for people (exit code 2)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"I can't read that period: {detail}")
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open range of UTC days, ``since <= day < until``, with the name it was asked by.

    ``through_today`` is set when the range ends with today, a day still running.
    """

    since: date
    until: date
    label: str
    through_today: bool = False

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise PeriodError(f"{self.since} is not before {self.until}")

    @property
    def days(self) -> int:
        return (self.until - self.since).days

    @property
    def last_day(self) -> date:
        """The last day inside the period (``until`` is exclusive)."""
        return self.until - timedelta(days=1)

    def day_list(self) -> list[date]:
        return [self.since + timedelta(days=offset) for offset in range(self.days)]

    def contains(self, day: date) -> bool:
        return self.since <= day < self.until

    def span(self) -> str:
        """``2026-10-01 to 2026-10-31`` (both days included), or one date."""
        if self.days == 1:
            return self.since.isoformat()
        return f"{self.since.isoformat()} to {self.last_day.isoformat()}"

    def reading(self) -> str:
        """``I read that as last month: 2026-10-01 to 2026-10-31.``: a phrase confirmed."""
        return f"I read that as {self.label}: {self.span()}."

    def describe(self) -> str:
        """``last month (2026-10-01 to 2026-10-31, UTC days)``: what the phrase was read as."""
        return f"{self.label} ({self.span()}, UTC days)"

    def complete(self) -> Period | None:
        """The period without today's running day (``None`` when only today is left)."""
        if not self.through_today:
            return self
        if self.days == 1:
            return None
        return Period(self.since, self.last_day, self.label)

    def partial(self, days_with_data: int) -> bool:
        """Partial: some day has no data, or the period ends with a day still running."""
        return days_with_data < self.days or self.through_today

    def coverage_text(self, days_with_data: int) -> str:
        """``data on 4 of 31 days: partial`` — every answer says how much of its period it saw."""
        text = f"data on {days_with_data} of {self.days} day{'s' if self.days != 1 else ''}"
        if days_with_data < self.days:
            return f"{text}: partial"
        if self.through_today:
            return f"{text}: partial, today is still running"
        return f"{text}: complete"

    def to_json(self, days_with_data: int) -> dict[str, Any]:
        """The public ``period`` object of spend/volume answers and reports."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "label": self.label,
            "days": self.days,
            "days_with_data": days_with_data,
            "partial": self.partial(days_with_data),
            "through_today": self.through_today,
        }


def bounded(since: date, until: date, label: str, today: date) -> Period:
    """Clip a period at today (inclusive) and refuse one that has not started."""
    tomorrow = today + timedelta(days=1)
    if since > today:
        raise PeriodError(f"{label} has not started yet (today is {today.isoformat()})")
    if (until - since).days > MAX_DAYS:
        raise PeriodError(f"{label} is longer than {MAX_DAYS} days")
    if until >= tomorrow:
        return Period(since, tomorrow, label, through_today=True)
    return Period(since, until, label)


def span_label(since: date, until: date) -> str:
    last = until - timedelta(days=1)
    if last == since:
        return since.isoformat()
    return f"{since.isoformat()} to {last.isoformat()}"
