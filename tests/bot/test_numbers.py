"""Numbers as typed in chat: read exactly, or refused with a clear reason — never an exception
other than NumberError, never a silent misread."""

from __future__ import annotations

from decimal import Decimal

import pytest

from golocal.bot.numbers import Kind, NumberError, find_numbers, parse_number
from golocal.bot.whatif import parse_what_if
from golocal.config.advisor import Advisor


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("3k", "3000"),
        ("3K", "3000"),
        ("3,000", "3000"),
        ("3 000", "3000"),
        ("3\u202f000", "3000"),  # narrow no-break space
        ("1.5M", "1500000"),
        ("2 million", "2000000"),
        ("1.2bn", "1200000000"),
        ("12k", "12000"),
        ("1e3", "1000"),
        ("$0.25", "0.25"),
        ("30%", "30"),
        ("1,234,567", "1234567"),
    ],
)
def test_numbers_people_type(typed, value):
    assert parse_number(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "kind", "reason"),
    [
        ("1e400", Kind.COUNT, "far too large"),
        ("1E+999999999", Kind.COUNT, "far too large"),
        ("9" * 300, Kind.COUNT, "300 digits"),
        ("1" * 40, Kind.MONEY, "40 digits"),
        ("$" + "1" * 40, Kind.MONEY, "40 digits"),
        ("7" * 76 + "%", Kind.PERCENT, "76 digits"),
        ("-5", Kind.COUNT, "can't be negative"),
        ("2.5", Kind.COUNT, "not a whole number"),
        ("2000000000000000", Kind.COUNT, "out of range"),
        ("20000%", Kind.PERCENT, "out of range"),
        ("abc", Kind.PLAIN, "not a number"),
    ],
)
def test_out_of_range_numbers_are_refused_clearly(typed, kind, reason):
    with pytest.raises(NumberError, match=reason) as caught:
        parse_number(typed, kind)
    assert len(caught.value.message) < 120  # the digits are never echoed in full


def test_numbers_inside_words_are_not_numbers():
    assert [m.text for m in find_numbers("gpt-4o and v2 and 12abc")] == []


def test_find_numbers_reports_unreadable_ones_instead_of_raising():
    found = find_numbers("1e400 requests and 3k tokens")
    assert found[0].value is None and "far too large" in found[0].error
    assert found[1].value == Decimal(3000)


@pytest.mark.parametrize(
    "question",
    [
        "what if we had 1e400 requests a day",
        "what if we had " + "9" * 300 + " requests a day",
        "what if electricity cost $" + "1" * 40,
        "what if cloud prices rose " + "7" * 76 + "%",
        "what if prices rose 1e400%",
    ],
)
def test_what_if_refuses_unreadable_numbers_instead_of_misreading(question):
    parsed = parse_what_if(question, Advisor())
    assert not parsed.scenario.changed  # 1e400 never became 400
    assert parsed.problems and "too large" in parsed.problems[0]
