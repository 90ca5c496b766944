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

__all__ = ["Period", "asked_period", "open_day", "period_in", "question_period", "with_reading"]


def period_in(text: str, today: date, default_days: int) -> Period:
    """The period a question names, else the last ``default_days`` complete days."""
    found = find_period(text, today=today)
    return found if found is not None else default_period(today, default_days)


def default_period(today: date, default_days: int) -> Period:
    """The window a question that names no period is answered for: complete days only."""
    return Period(today - timedelta(days=default_days), today, f"the last {default_days} days")


def question_period(question: str, services: Services) -> Period:
    """The period of a chat question, "today" being the date in the configured time zone."""
    return asked_period(question, services)[0]


def asked_period(question: str, services: Services) -> tuple[Period, str | None]:
    """The question's period and, when its words named one, how they were read.

    The second value ("I read that as last month: 2026-10-01 to 2026-10-31.") confirms a
    free-form phrase; it is ``None`` for the default window, which no words asked for.
    """
    today = local_today(services.settings.tz, services.now())
    found = find_period(question, today=today)
    if found is not None:
        return found, found.reading()
    return default_period(today, services.settings.volume.window_days), None


def with_reading(reading: str | None, text: str) -> str:
    """An answer's text, led by how its period phrase was read (when words named one)."""
    return f"{reading}\n{text}" if reading else text


def open_day(period: Period) -> date | None:
    """The running day a mean per day leaves out: today, unless the period is only today."""
    return period.last_day if period.through_today and period.days > 1 else None
