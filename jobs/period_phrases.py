"""The phrases that name periods, as a table of (pattern, meaning) rules.

Each rule has a pattern for a whole phrase (``--period "last month"``), a stricter one for a
phrase inside a question (where "may" or "2025" alone need not be a period), and a function
from the match and today's date to a :class:`~golocal.jobs.period_range.Period`. The
conventions are written down in :mod:`golocal.jobs.periods`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from golocal.jobs.period_range import MAX_DAYS, Period, PeriodError, bounded, span_label

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "thirty": 30,
    "sixty": 60, "ninety": 90,
}  # fmt: skip


def _alternation(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_MONTH = rf"(?:{_alternation(_MONTHS)})\.?"
_WEEKDAY = rf"(?:{_alternation(_WEEKDAYS)})"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?:19|20)\d\d(?!\d)"
# one day, as people write it
_DAY = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}(?!\d)"
    rf"|{_MONTH}\s+{_ORDINAL}(?:,?\s+{_YEAR})?"
    rf"|{_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?(?![\d/])"
    rf"|today|yesterday|{_WEEKDAY})"
)
_COUNT = rf"(?:\d+|{_alternation(_NUMBER_WORDS)})"


@dataclass(frozen=True, slots=True)
class _Rule:
    """One kind of period phrase: how it reads alone, inside a question, and what it means."""

    full: re.Pattern[str]
    inside: re.Pattern[str]
    resolve: Callable[[_Groups, date], Period]


def _rule(
    pattern: str, resolve: Callable[[_Groups, date], Period], *, inside: str | None = None
) -> _Rule:
    """``inside`` is a stricter pattern for questions, where a bare word may mean no period."""
    inner = inside if inside is not None else pattern
    return _Rule(
        full=re.compile(pattern),
        inside=re.compile(rf"(?<![\w-])(?:{inner})(?![\w-])"),
        resolve=resolve,
    )


def normalise(text: str) -> str:
    lowered = " ".join(text.lower().replace("\u2013", " to ").replace("\u2014", " to ").split())
    return lowered.strip(" ?!.;:")


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _next_month(first: date) -> date:
    return _month_start(first, -1)


def _quarter_start(day: date, quarters_back: int = 0) -> date:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return _month_start(first, 3 * quarters_back)


def _iso_week(year: int, week: int) -> date:
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"{year} has no ISO week {week}") from None


def _count(text: str) -> int:
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    if len(text) > 6:  # never int() a 400-digit string
        raise PeriodError(f"the last {text[:12]}… days is longer than {MAX_DAYS} days")
    return int(text)


def _year(text: str) -> int:
    return int(text)


def _most_recent_month(month: int, today: date) -> int:
    """The year of the most recent month ``month`` that has started."""
    return today.year if month <= today.month else today.year - 1


def _read_day(text: str, today: date) -> date:
    """One day phrase; see the module docstring for the conventions."""
    text = text.strip()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if text in _WEEKDAYS:
        return today - timedelta(days=(today.weekday() - _WEEKDAYS[text]) % 7)
    if "/" in text:
        raise PeriodError(f"{text!r} is ambiguous (day/month or month/day?): write YYYY-MM-DD")
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        year, month, day = (int(part) for part in text.split("-"))
        return _checked_date(year, month, day, text)
    from dateutil import parser as dateutil_parser  # only absolute day phrases need it

    has_year = re.search(_YEAR, text) is not None
    default = datetime(today.year, 1, 1)
    try:
        parsed: date = dateutil_parser.parse(text, default=default).date()
    except (ValueError, OverflowError):
        raise PeriodError(f"{text!r} is not a date") from None
    if not has_year and parsed > today:
        # "March 5" read in January is last year's March 5
        return _checked_date(parsed.year - 1, parsed.month, parsed.day, text)
    return parsed


def _checked_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise PeriodError(f"{text!r} is not a date") from None


# --- what each phrase means ----------------------------------------------------------------


def _today(_: _Groups, today: date) -> Period:
    return bounded(today, today + timedelta(days=1), "today", today)


def _yesterday(_: _Groups, today: date) -> Period:
    return Period(today - timedelta(days=1), today, "yesterday")


def _this_week(_: _Groups, today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    return bounded(monday, monday + timedelta(days=7), "this week", today)


def _last_week(_: _Groups, today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(days=7), monday, "last week")


def _iso_week_phrase(match: _Groups, today: date) -> Period:
    year = _year(match["year"]) if match["year"] else today.isocalendar().year
    week = int(match["week"])
    monday = _iso_week(year, week)
    return bounded(monday, monday + timedelta(days=7), f"{year}-W{week:02d}", today)


def _this_month(_: _Groups, today: date) -> Period:
    first = _month_start(today)
    return bounded(first, _next_month(first), "this month", today)


def _last_month(_: _Groups, today: date) -> Period:
    first = _month_start(today, 1)
    return Period(first, _next_month(first), "last month")


def _named_month(match: _Groups, today: date) -> Period:
    month = _MONTHS[match["month"].rstrip(".")]
    year = _year(match["year"]) if match["year"] else _most_recent_month(month, today)
    first = date(year, month, 1)
    return bounded(first, _next_month(first), first.strftime("%B %Y"), today)


def _iso_month(match: _Groups, today: date) -> Period:
    month = int(match["month"])
    if not 1 <= month <= 12:
        raise PeriodError(f"{match[0]!r} has no month {month}")
    first = date(_year(match["year"]), month, 1)
    return bounded(first, _next_month(first), first.strftime("%B %Y"), today)


def _this_quarter(_: _Groups, today: date) -> Period:
    first = _quarter_start(today)
    return bounded(first, _month_start(first, -3), "this quarter", today)


def _last_quarter(_: _Groups, today: date) -> Period:
    first = _quarter_start(today, 1)
    return Period(first, _month_start(first, -3), "last quarter")


def _named_quarter(match: _Groups, today: date) -> Period:
    quarter = int(match["quarter"])
    if not 1 <= quarter <= 4:
        raise PeriodError(f"there is no quarter {quarter}")
    if match["year"]:
        year = _year(match["year"])
    else:
        year = today.year if 3 * (quarter - 1) + 1 <= today.month else today.year - 1
    first = date(year, 3 * (quarter - 1) + 1, 1)
    return bounded(first, _month_start(first, -3), f"Q{quarter} {year}", today)


def _this_year(_: _Groups, today: date) -> Period:
    return bounded(date(today.year, 1, 1), date(today.year + 1, 1, 1), "year to date", today)


def _last_year(_: _Groups, today: date) -> Period:
    year = today.year - 1
    return Period(date(year, 1, 1), date(year + 1, 1, 1), "last year")


def _named_year(match: _Groups, today: date) -> Period:
    year = _year(match["year"])
    return bounded(date(year, 1, 1), date(year + 1, 1, 1), str(year), today)


def _last_n(match: _Groups, today: date) -> Period:
    count = _count(match["count"])
    days = count * 7 if match["unit"].startswith("week") else count
    if days < 1:
        raise PeriodError("the last 0 days is no period")
    if days > MAX_DAYS:
        raise PeriodError(f"the last {days} days is longer than {MAX_DAYS} days")
    label = "the last day" if days == 1 else f"the last {days} days"
    return Period(today - timedelta(days=days), today, label)


def _past_week(_: _Groups, today: date) -> Period:
    return Period(today - timedelta(days=7), today, "the last 7 days")


def _since(match: _Groups, today: date) -> Period:
    start = _read_day(match["start"], today)
    if start > today:
        raise PeriodError(f"since {match['start']} starts after today ({today.isoformat()})")
    if match["start"] in _WEEKDAYS:
        label = f"since {start.strftime('%A')} {start.isoformat()}"
    else:
        label = f"since {start.isoformat()}"
    return bounded(start, today + timedelta(days=1), label, today)


def _between(match: _Groups, today: date) -> Period:
    start = _read_day(match["start"], today)
    end = _read_day(match["end"], today)
    if end < start:
        raise PeriodError(f"{end.isoformat()} comes before {start.isoformat()}")
    until = end + timedelta(days=1)
    return bounded(start, until, span_label(start, until), today)


def _one_day(match: _Groups, today: date) -> Period:
    day = _read_day(match["day"], today)
    return bounded(day, day + timedelta(days=1), day.isoformat(), today)


def _last_weekday(match: _Groups, today: date) -> Period:
    back = (today.weekday() - _WEEKDAYS[match["weekday"]]) % 7 or 7
    day = today - timedelta(days=back)
    return Period(day, day + timedelta(days=1), day.isoformat())


def _not_whole_days(match: _Groups, today: date) -> Period:
    raise PeriodError(
        f"{match[0]!r}: golocal counts whole UTC days (try today, yesterday, "
        "last 14 days, last week or this month)"
    )


def _future(match: _Groups, today: date) -> Period:
    raise PeriodError(f"{match[0]!r} is in the future; golocal reports what has happened")


_THIS = r"(?:this|the\s+current|current)"
_LAST = r"(?:last|previous|the\s+previous|prior)"
_IN = r"(?:in|for|during|over|of|from)\s+"
_TO = r"(?:to|until|till|through|thru)"
_RANGE_START = rf"(?:between\s+(?P<start>{_DAY})\s+and|from\s+(?P<start2>{_DAY})\s+(?:{_TO}|-))"

_RULES: tuple[_Rule, ...] = (
    _rule(r"today|so\s+far\s+today", _today),
    _rule(r"yesterday", _yesterday),
    _rule(rf"{_THIS}\s+week|week\s+to\s+date|wtd|so\s+far\s+this\s+week", _this_week),
    _rule(rf"{_LAST}\s+week", _last_week),
    _rule(r"(?:the\s+)?past\s+week", _past_week),
    _rule(
        rf"(?P<year>{_YEAR})-?w(?P<week>\d{{1,2}})|(?:iso\s+)?week\s+(?P<week2>\d{{1,2}})"
        rf"(?:\s+(?:of\s+)?(?P<year2>{_YEAR}))?",
        _iso_week_phrase,
    ),
    _rule(rf"{_THIS}\s+month|month\s+to\s+date|mtd|so\s+far\s+this\s+month", _this_month),
    _rule(rf"{_LAST}\s+month", _last_month),
    _rule(
        rf"(?P<month>{_MONTH})(?:,?\s+(?:of\s+)?(?P<year>{_YEAR}))?",
        _named_month,
        inside=rf"{_IN}(?P<month>{_MONTH})(?:,?\s+(?:of\s+)?(?P<year>{_YEAR}))?"
        rf"|(?P<month2>{_MONTH}),?\s+(?P<year2>{_YEAR})",
    ),
    _rule(rf"(?P<year>{_YEAR})-(?P<month>\d{{1,2}})(?![\d-])", _iso_month),
    _rule(rf"{_THIS}\s+quarter|quarter\s+to\s+date|qtd", _this_quarter),
    _rule(rf"{_LAST}\s+quarter", _last_quarter),
    _rule(
        rf"q(?P<quarter>\d)(?:,?\s+(?P<year>{_YEAR}))?|(?P<year2>{_YEAR})-?q(?P<quarter2>\d)",
        _named_quarter,
    ),
    _rule(rf"{_THIS}\s+year|year\s+to\s+date|ytd|so\s+far\s+this\s+year", _this_year),
    _rule(rf"{_LAST}\s+year", _last_year),
    _rule(rf"(?P<year>{_YEAR})", _named_year, inside=rf"{_IN}(?P<year>{_YEAR})"),
    _rule(
        rf"(?:the\s+)?(?:last|past|previous|trailing)\s+(?P<count>{_COUNT})\s+(?P<unit>days?|weeks?)",
        _last_n,
    ),
    _rule(rf"since\s+(?P<start>{_DAY})", _since),
    _rule(
        rf"{_RANGE_START}\s+(?P<end>{_DAY})"
        rf"|(?P<start3>{_DAY})(?:\s+{_TO}\s+|\s*\.\.\s*)(?P<end2>{_DAY})",
        _between,
    ),
    _rule(
        rf"(?:on\s+)?(?P<day>{_DAY})",
        _one_day,
        inside=rf"on\s+(?P<day>{_DAY})|(?P<day2>\d{{4}}-\d{{1,2}}-\d{{1,2}}(?!\d)"
        rf"|{_MONTH}\s+{_ORDINAL}(?:,?\s+{_YEAR})?|{_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?)",
    ),
    _rule(rf"{_LAST}\s+(?P<weekday>{_WEEKDAY})", _last_weekday),
    _rule(r"tomorrow|next\s+(?:week|month|quarter|year|\d+\s+days?)", _future),
    _rule(
        rf"(?:(?:the\s+)?(?:last|past|previous|this|trailing)\s+(?:{_COUNT}\s+)?"
        r"(?:hours?|minutes?|fortnight|weekends?|half[\s-]year|decade)|(?:last|this)\s+night)",
        _not_whole_days,
    ),
)


class _Groups:
    """A match read by name, where ``year2``/``year3`` are alternative spellings of ``year``."""

    def __init__(self, match: re.Match[str]) -> None:
        self._match = match

    def __getitem__(self, name: str | int) -> Any:
        if isinstance(name, int):
            return self._match[name]
        names = self._match.re.groupindex
        for candidate in (name, f"{name}2", f"{name}3"):
            if candidate in names and self._match[candidate] is not None:
                return self._match[candidate]
        return None


def read_whole(phrase: str, today: date) -> Period | None:
    """The period a whole normalised phrase names, or ``None`` when no rule reads it."""
    for rule in _RULES:
        match = rule.full.fullmatch(phrase)
        if match:
            return rule.resolve(_Groups(match), today)
    return None


def read_inside(text: str, today: date) -> Period | None:
    """The longest (then earliest) period phrase inside a normalised text, or ``None``."""
    best: tuple[int, int, _Rule, re.Match[str]] | None = None
    for rule in _RULES:
        for match in rule.inside.finditer(text):
            key = (match.end() - match.start(), -match.start())
            if best is None or key > best[:2]:
                best = (*key, rule, match)
    if best is None:
        return None
    return best[2].resolve(_Groups(best[3]), today)
