"""The one period parser: phrases to UTC-day ranges, table-driven."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from golocal.jobs.periods import (
    MAX_DAYS,
    Period,
    PeriodError,
    find_period,
    local_today,
    parse_period,
    period_between,
)

FRI = date(2026, 11, 27)  # a Friday in ISO week 2026-W48

# (phrase, today, since, until (exclusive), label)
WHOLE = [
    ("today", FRI, "2026-11-27", "2026-11-28", "today"),
    ("yesterday", FRI, "2026-11-26", "2026-11-27", "yesterday"),
    ("this week", FRI, "2026-11-23", "2026-11-28", "this week"),
    ("week to date", FRI, "2026-11-23", "2026-11-28", "this week"),
    ("last week", FRI, "2026-11-16", "2026-11-23", "last week"),
    ("previous week", FRI, "2026-11-16", "2026-11-23", "last week"),
    ("past week", FRI, "2026-11-20", "2026-11-27", "the last 7 days"),
    ("this month", FRI, "2026-11-01", "2026-11-28", "this month"),
    ("last month", FRI, "2026-10-01", "2026-11-01", "last month"),
    ("in March", FRI, "2026-03-01", "2026-04-01", "March 2026"),
    ("March 2026", FRI, "2026-03-01", "2026-04-01", "March 2026"),
    ("mar. 2025", FRI, "2025-03-01", "2025-04-01", "March 2025"),
    ("March of 2025", FRI, "2025-03-01", "2025-04-01", "March 2025"),
    ("2026-02", FRI, "2026-02-01", "2026-03-01", "February 2026"),
    ("this quarter", FRI, "2026-10-01", "2026-11-28", "this quarter"),
    ("last quarter", FRI, "2026-07-01", "2026-10-01", "last quarter"),
    ("Q1", FRI, "2026-01-01", "2026-04-01", "Q1 2026"),
    ("Q4 2025", FRI, "2025-10-01", "2026-01-01", "Q4 2025"),
    ("2026-Q3", FRI, "2026-07-01", "2026-10-01", "Q3 2026"),
    ("year to date", FRI, "2026-01-01", "2026-11-28", "year to date"),
    ("this year", FRI, "2026-01-01", "2026-11-28", "year to date"),
    ("YTD", FRI, "2026-01-01", "2026-11-28", "year to date"),
    ("last year", FRI, "2025-01-01", "2026-01-01", "last year"),
    ("in 2025", FRI, "2025-01-01", "2026-01-01", "2025"),
    ("last 30 days", FRI, "2026-10-28", "2026-11-27", "the last 30 days"),
    ("the past 7 days", FRI, "2026-11-20", "2026-11-27", "the last 7 days"),
    ("last two weeks", FRI, "2026-11-13", "2026-11-27", "the last 14 days"),
    ("last 1 day", FRI, "2026-11-26", "2026-11-27", "the last day"),
    ("since Monday", FRI, "2026-11-23", "2026-11-28", "since Monday 2026-11-23"),
    ("since friday", FRI, "2026-11-27", "2026-11-28", "since Friday 2026-11-27"),
    ("since 2026-11-01", FRI, "2026-11-01", "2026-11-28", "since 2026-11-01"),
    ("since March 3", FRI, "2026-03-03", "2026-11-28", "since 2026-03-03"),
    ("between 2026-03-01 and 2026-03-05", FRI, "2026-03-01", "2026-03-06", None),
    ("from March 3 to March 9", FRI, "2026-03-03", "2026-03-10", "2026-03-03 to 2026-03-09"),
    ("2026-03-01 to 2026-03-05", FRI, "2026-03-01", "2026-03-06", None),
    ("2026-03-01..2026-03-05", FRI, "2026-03-01", "2026-03-06", None),
    ("2026-03-01 \u2013 2026-03-05", FRI, "2026-03-01", "2026-03-06", None),
    ("2026-03-05", FRI, "2026-03-05", "2026-03-06", "2026-03-05"),
    ("5th of March 2026", FRI, "2026-03-05", "2026-03-06", "2026-03-05"),
    ("Mar 5, 2026", FRI, "2026-03-05", "2026-03-06", "2026-03-05"),
    ("on Monday", FRI, "2026-11-23", "2026-11-24", "2026-11-23"),
    ("last Friday", FRI, "2026-11-20", "2026-11-21", "2026-11-20"),
    ("week 48", FRI, "2026-11-23", "2026-11-28", "2026-W48"),
    ("2026-W01", FRI, "2025-12-29", "2026-01-05", "2026-W01"),
    # month ends
    ("last month", date(2026, 3, 31), "2026-02-01", "2026-03-01", "last month"),
    ("last month", date(2026, 1, 15), "2025-12-01", "2026-01-01", "last month"),
    ("this month", date(2026, 12, 31), "2026-12-01", "2027-01-01", "this month"),
    ("last month", date(2026, 5, 31), "2026-04-01", "2026-05-01", "last month"),
    ("last quarter", date(2026, 1, 1), "2025-10-01", "2026-01-01", "last quarter"),
    ("this quarter", date(2026, 3, 31), "2026-01-01", "2026-04-01", "this quarter"),
    # a month or date without a year is the most recent one that has started
    ("in December", date(2026, 1, 10), "2025-12-01", "2026-01-01", "December 2025"),
    ("March 5", date(2026, 1, 10), "2025-03-05", "2025-03-06", "2025-03-05"),
    ("Q4", date(2026, 2, 1), "2025-10-01", "2026-01-01", "Q4 2025"),
    (
        "between Dec 20 and Jan 5",
        date(2026, 1, 10),
        "2025-12-20",
        "2026-01-06",
        "2025-12-20 to 2026-01-05",
    ),
    # leap years
    ("last month", date(2024, 3, 31), "2024-02-01", "2024-03-01", "last month"),
    ("February 2024", FRI, "2024-02-01", "2024-03-01", "February 2024"),
    ("Feb 29 2024", FRI, "2024-02-29", "2024-03-01", "2024-02-29"),
    ("between 2024-02-28 and 2024-03-01", FRI, "2024-02-28", "2024-03-02", None),
    ("last 365 days", date(2024, 3, 1), "2023-03-02", "2024-03-01", "the last 365 days"),
    ("year to date", date(2024, 12, 31), "2024-01-01", "2025-01-01", "year to date"),
    # ISO week 53: 2026 has one (1 January 2026 is a Thursday), 2025 does not
    ("last week", date(2027, 1, 5), "2026-12-28", "2027-01-04", "last week"),
    ("2026-W53", date(2027, 2, 1), "2026-12-28", "2027-01-04", "2026-W53"),
    ("week 53", date(2027, 1, 2), "2026-12-28", "2027-01-03", "2026-W53"),
    ("this week", date(2027, 1, 1), "2026-12-28", "2027-01-02", "this week"),
    ("2020-W53", FRI, "2020-12-28", "2021-01-04", "2020-W53"),
]


@pytest.mark.parametrize(("phrase", "today", "since", "until", "label"), WHOLE)
def test_parse_period_reads_the_phrase(
    phrase: str, today: date, since: str, until: str, label: str | None
) -> None:
    period = parse_period(phrase, today=today)
    assert (period.since.isoformat(), period.until.isoformat()) == (since, until)
    if label is not None:
        assert period.label == label
    # a period that runs into today says so; nothing reaches past today
    assert period.through_today == (period.until == date.fromordinal(today.toordinal() + 1))
    assert period.until.toordinal() <= today.toordinal() + 1


ERRORS = [
    ("next week", "in the future"),
    ("tomorrow", "in the future"),
    ("2026-02-30", "not a date"),
    ("Feb 29 2023", "not a date"),
    ("03/04/2026", "ambiguous"),
    ("last 0 days", "no period"),
    (f"last {MAX_DAYS + 1} days", "longer than"),
    ("last 10000000000000000000000000000000000000 days", "longer than"),
    ("between 2026-03-05 and 2026-03-01", "comes before"),
    ("March 2027", "has not started"),
    ("2025-W53", "no ISO week 53"),
    ("Q5", "no quarter 5"),
    ("2026-13", "no month 13"),
    ("since 2026-12-01", "after today"),
    ("the blue moon", "try: today"),
    ("", "empty"),
    ("   ", "empty"),
]


@pytest.mark.parametrize(("phrase", "reason"), ERRORS)
def test_parse_period_refuses_clearly(phrase: str, reason: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(phrase, today=FRI)
    assert str(raised.value).startswith("I can't read that period: ")
    assert reason in str(raised.value)


# (question, since, until) — None: no period named
QUESTIONS = [
    ("what did we spend this year?", "2026-01-01", "2026-11-28"),
    ("requests per day in March", "2026-03-01", "2026-04-01"),
    ("cost by team last month", "2026-10-01", "2026-11-01"),
    ("how many requests between March 1 and March 5?", "2026-03-01", "2026-03-06"),
    ("spend since yesterday", "2026-11-26", "2026-11-28"),
    ("usage on 2026-11-02", "2026-11-02", "2026-11-03"),
    ("What did Anthropic cost in Q3 2026?", "2026-07-01", "2026-10-01"),
    ("volume over the last 14 days please", "2026-11-13", "2026-11-27"),
    ("spend in May", "2026-05-01", "2026-06-01"),
    ("requests since Monday", "2026-11-23", "2026-11-28"),
    ("who spends the most?", None, None),
    ("what may we spend?", None, None),
    ("we had 2025 requests", None, None),
    ("how many requests per day?", None, None),
    ("is the monthly bill high?", None, None),
]


@pytest.mark.parametrize(("question", "since", "until"), QUESTIONS)
def test_find_period_in_a_question(question: str, since: str | None, until: str | None) -> None:
    period = find_period(question, today=FRI)
    if since is None:
        assert period is None
    else:
        assert period is not None
        assert (period.since.isoformat(), period.until.isoformat()) == (since, until)


@pytest.mark.parametrize(
    "question",
    [
        "what will we spend next month?",
        "spend between March 5 and February 30",
        "requests in the last 99999 days",
        "cost on 03/04/2026",
        "what did we spend in the last 24 hours?",
        "requests over the past fortnight",
    ],
)
def test_find_period_refuses_a_period_it_cannot_read(question: str) -> None:
    """Never another period silently: a clear period phrase that fails is an error."""
    with pytest.raises(PeriodError):
        find_period(question, today=FRI)


# the configured time zone decides "today": 23:30 UTC on Sunday 29 November 2026
LATE_SUNDAY_UTC = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "phrase", "since", "until"),
    [
        ("UTC", "today", "2026-11-29", "2026-11-30"),
        ("Europe/Berlin", "today", "2026-11-30", "2026-12-01"),
        ("Europe/Berlin", "this week", "2026-11-30", "2026-12-01"),
        ("Europe/Berlin", "last week", "2026-11-23", "2026-11-30"),
        ("Europe/Berlin", "last month", "2026-10-01", "2026-11-01"),
        ("Europe/Berlin", "this month", "2026-11-01", "2026-12-01"),
        ("America/Los_Angeles", "this week", "2026-11-23", "2026-11-30"),
        ("America/Los_Angeles", "yesterday", "2026-11-28", "2026-11-29"),
        ("Pacific/Kiritimati", "this month", "2026-11-01", "2026-12-01"),
    ],
)
def test_the_configured_time_zone_decides_today(
    tz: str, phrase: str, since: str, until: str
) -> None:
    period = parse_period(phrase, tz=tz, now=LATE_SUNDAY_UTC)
    assert (period.since.isoformat(), period.until.isoformat()) == (since, until)


def test_local_today_on_the_last_evening_of_a_month() -> None:
    moment = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert local_today("UTC", moment) == date(2026, 11, 30)
    assert local_today("Asia/Tokyo", moment) == date(2026, 12, 1)
    assert local_today(None, datetime(2026, 11, 30, 23, 30)) == date(2026, 11, 30)


def test_coverage_object_matches_the_public_contract() -> None:
    period = parse_period("last month", today=FRI)
    assert period.to_json(31) == {
        "since": "2026-10-01",
        "until": "2026-11-01",
        "label": "last month",
        "days": 31,
        "days_with_data": 31,
        "partial": False,
        "through_today": False,
    }
    assert period.to_json(4)["partial"] is True
    assert period.coverage_text(4) == "data on 4 of 31 days: partial"
    assert period.coverage_text(31) == "data on 31 of 31 days: complete"
    assert period.describe() == "last month (2026-10-01 to 2026-10-31, UTC days)"


def test_a_period_running_into_today_is_partial_and_drops_today_when_complete() -> None:
    period = parse_period("this week", today=FRI)
    assert period.days == 5
    assert period.partial(5)
    assert period.coverage_text(5) == "data on 5 of 5 days: partial, today is still running"
    complete = period.complete()
    assert complete == Period(date(2026, 11, 23), date(2026, 11, 27), "this week")
    assert parse_period("today", today=FRI).complete() is None


def test_period_between_explicit_bounds() -> None:
    period = period_between(date(2026, 11, 1), date(2026, 11, 8), today=FRI)
    assert (period.days, period.label, period.through_today) == (
        7,
        "2026-11-01 to 2026-11-07",
        False,
    )
    clipped = period_between(date(2026, 11, 20), date(2026, 12, 31), today=FRI)
    assert (clipped.until, clipped.through_today) == (date(2026, 11, 28), True)
    with pytest.raises(PeriodError, match="must be before"):
        period_between(date(2026, 11, 8), date(2026, 11, 8), today=FRI)
    assert [d.day for d in period.day_list()] == [1, 2, 3, 4, 5, 6, 7]
