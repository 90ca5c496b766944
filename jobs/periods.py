"""The one period parser: "last month", "in March", "since Monday" -> a range of UTC days.

Every surface (the CLI's ``--period``/``--since``/``--until``, chat questions, the digest)
reads periods here, so the same words always mean the same days. Conventions:

* A period is a half-open range of calendar days, ``since <= day < until``. The days are the
  UTC days usage is stored under (providers bucket their reports by UTC day).
* "Today" is the current date in the configured time zone (``settings.timezone``); relative
  phrases ("yesterday", "this week", "last month") count from that date.
* Weeks are ISO weeks, Monday to Sunday; "week 53" exists only in ISO years that have one.
  "This week", "this month", "this quarter" and "this year" / "year to date" run up to and
  including today (a day still running); "last week", "last month", "last quarter" and "last
  year" are the previous complete calendar unit.
* "Last N days" (and "past N days", "last N weeks" = 7·N days) are the N complete days before
  today; today is not included. "Past week" is the last 7 days, "last week" the ISO week.
* A month or a date without a year ("in March", "March 5") is the most recent one that has
  started, so in January "December" is last December.
* "Since X" runs from X up to and including today; "between X and Y" and "from X to Y"
  include both X and Y. A weekday ("since Monday") is the most recent such day, today
  included.
* No period reaches past today: "this month" ends today, "in 2026" read in November ends today;
  a period that starts after today is refused. Numeric dates with slashes (03/04/2026) are
  refused as ambiguous: write ISO dates (2026-03-04).

Absolute day phrases ("5th March 2026", "Mar 5, 2026") are read with python-dateutil's parser,
after this module has decided what kind of phrase it is.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from golocal.jobs.period_phrases import normalise, read_inside, read_whole
from golocal.jobs.period_range import MAX_DAYS, Period, PeriodError, bounded, span_label

__all__ = [
    "MAX_DAYS",
    "Period",
    "PeriodError",
    "find_period",
    "local_today",
    "parse_period",
    "period_between",
]


def local_today(tz: tzinfo | str | None = None, now: datetime | None = None) -> date:
    """Today's date in the configured time zone (UTC when none is given)."""
    zone = _zone(tz)
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def period_between(since: date, until: date, label: str | None = None, *, today: date) -> Period:
    """A period from explicit bounds (``--since``/``--until``, ``until`` exclusive)."""
    if since >= until:
        raise PeriodError(f"{since} must be before {until} (the end is exclusive)")
    return bounded(since, until, label or span_label(since, until), today)


def parse_period(
    text: str,
    *,
    today: date | None = None,
    tz: tzinfo | str | None = None,
    now: datetime | None = None,
) -> Period:
    """Read a whole period phrase ("last month", "2026-03-01 to 2026-03-05").

    Args:
        text: the phrase, e.g. the value of ``--period``.
        today: the current local date; when omitted it is computed from ``now`` in ``tz``.
        tz: the configured time zone (a ``tzinfo`` or an IANA name); UTC when omitted.
        now: the current moment, for computing ``today``; the clock when omitted.

    Raises:
        PeriodError: the phrase is not a period golocal reads, or names no past day.
    """
    day = today if today is not None else local_today(tz, now)
    phrase = normalise(text)
    phrase = re.sub(r"^(?:in|for|during|over|on|of|the)\s+", "", phrase)
    if not phrase:
        raise PeriodError("it is empty")
    period = read_whole(phrase, day)
    if period is not None:
        return period
    raise PeriodError(
        f"{text.strip()!r} (try: today, yesterday, this week, last month, in March, "
        "March 2026, last quarter, year to date, last 30 days, since Monday, "
        "between 2026-03-01 and 2026-03-15)"
    )


def find_period(
    question: str,
    *,
    today: date | None = None,
    tz: tzinfo | str | None = None,
    now: datetime | None = None,
) -> Period | None:
    """The period a longer question names ("what did we spend last month?"), or ``None``.

    The longest period phrase in the question wins (then the earliest). A phrase that is
    clearly a period but cannot be read ("between March 3 and February 30", "next week")
    raises :class:`PeriodError` rather than being ignored: golocal never answers another
    period silently.
    """
    day = today if today is not None else local_today(tz, now)
    return read_inside(normalise(question), day)


def _zone(tz: tzinfo | str | None) -> tzinfo:
    if tz is None:
        return UTC
    if isinstance(tz, str):
        return ZoneInfo(tz)
    return tz
