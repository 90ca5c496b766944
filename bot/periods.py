"""The period a chat question names, read by golocal's one period parser.

:mod:`golocal.jobs.periods` does the reading (and documents the conventions); this module
only adds the chat's default — the trailing ``volume.window_days`` complete days — for a
question that names no period. A phrase that is clearly a period but unreadable raises
:class:`~golocal.jobs.periods.PeriodError` ("I can't read that period: …"), never a silent
fallback to another period.
"""

from __future__ import annotations

from datetime import date, timedelta

from golocal.bot.services import Services
from golocal.jobs.periods import Period, find_period, local_today

__all__ = ["Period", "open_day", "period_in", "question_period"]


def period_in(text: str, today: date, default_days: int) -> Period:
    """The period a question names, else the last ``default_days`` complete days."""
    found = find_period(text, today=today)
    if found is not None:
        return found
    return Period(today - timedelta(days=default_days), today, f"the last {default_days} days")


def question_period(question: str, services: Services) -> Period:
    """The period of a chat question, "today" being the date in the configured time zone."""
    today = local_today(services.settings.tz, services.now())
    return period_in(question, today, services.settings.volume.window_days)


def open_day(period: Period) -> date | None:
    """The running day a mean per day leaves out: today, unless the period is only today."""
    return period.last_day if period.through_today and period.days > 1 else None
