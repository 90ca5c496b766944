"""Numbers as people type them in chat: "3k", "3,000", "3 000", "1.5M", "$0.25", "30%".

Every number is read into an exact :class:`~decimal.Decimal` and checked against the range its
kind allows *before* any arithmetic, so "1e400 requests", a 300-digit count, 40-digit money or
a 76-digit percentage get a clear :class:`NumberError` — never an ``OverflowError``, an
``InvalidOperation`` or a silent misread ("1e400" is never 400). Pure functions, table-driven.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from enum import Enum

from golocal.errors import UsageError


class NumberError(UsageError):
    """A number a question contains that golocal will not use (too long, out of range)."""


class Kind(Enum):
    """What a number counts; each kind has its own range and precision."""

    COUNT = "count"  # requests, tokens: whole, not negative
    MONEY = "money"  # US dollars
    PERCENT = "percent"
    PLAIN = "plain"  # anything else (a price per kWh, a factor)


@dataclass(frozen=True, slots=True)
class Limits:
    low: Decimal
    high: Decimal
    #: the most decimal places a value of this kind may carry
    places: int
    what: str


#: A trillion requests a day, a trillion dollars, 10,000 % — far beyond any real team and
#: still small enough that every later calculation stays exact.
LIMITS: dict[Kind, Limits] = {
    Kind.COUNT: Limits(Decimal(0), Decimal(10) ** 12, 0, "a count"),
    Kind.MONEY: Limits(Decimal(-(10**12)), Decimal(10) ** 12, 9, "an amount of money"),
    Kind.PERCENT: Limits(Decimal(-10_000), Decimal(10_000), 6, "a percentage"),
    Kind.PLAIN: Limits(Decimal(-(10**12)), Decimal(10) ** 12, 9, "a number"),
}

#: Longest run of digits read at all; longer is refused before it becomes a Decimal.
MAX_DIGITS = 24
#: Largest exponent written as "1e6" that is read.
MAX_EXPONENT = 15

_MULTIPLIERS: dict[str, int] = {
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "mio": 10**6,
    "million": 10**6,
    "millions": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
}

# Spaces people put between groups of thousands: space, no-break space, thin spaces.
_GROUP_SPACE = "[ \u00a0\u2009\u202f]"
#: One number: sign, digits (grouped by commas or spaces, or a run), a fraction, an
#: exponent, then an optional multiplier word. The look-behind keeps "v2" or "gpt-4o" out.
NUMBER = re.compile(
    r"(?<![\w.,\-])(?P<sign>[-−+])?(?P<currency>\$)?\s?"
    r"(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:" + _GROUP_SPACE + r"\d{3})+(?![\d,.])|\d+)"
    r"(?:\.(?P<frac>\d+))?"
    r"(?:[eE](?P<exp>[-+]?\d+))?"
    r"(?:\s?(?P<mult>k|thousand|mn|mio|millions?|m|bn|billion|b)\b)?"
    r"(?P<percent>\s?(?:%|percent\b))?"
    r"(?!\w)(?!\.\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class NumberMention:
    """A number found in a question: what was typed, where, and its value or why not."""

    text: str
    start: int
    end: int
    value: Decimal | None
    error: str | None
    percent: bool
    currency: bool


def excerpt_number(text: str, limit: int = 16) -> str:
    """A typed number short enough to quote back ("1e400", "12345678…")."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_match(match: re.Match[str]) -> Decimal:
    """The value of one :data:`NUMBER` match; raises NumberError for anything unusable."""
    typed = excerpt_number(match.group(0))
    digits = re.sub(r"\D", "", match.group("int")) + (match.group("frac") or "")
    if len(digits) > MAX_DIGITS:
        raise NumberError(f"{typed} has {len(digits)} digits: that is far too large to be real")
    exponent = 0
    if match.group("exp") is not None:
        exp_text = match.group("exp").lstrip("+-")
        if len(exp_text) > 3 or int(exp_text) > MAX_EXPONENT:
            raise NumberError(f"{typed} is far too large (or too small) to be real")
        exponent = int(match.group("exp"))
    multiplier = _MULTIPLIERS.get((match.group("mult") or "").lower(), 1)
    with localcontext() as context:
        context.prec = MAX_DIGITS + MAX_EXPONENT + 12
        try:
            whole = re.sub(r"\D", "", match.group("int"))
            value = Decimal(f"{whole}.{match.group('frac') or 0}")
            value = value.scaleb(exponent) * multiplier
        except (InvalidOperation, ValueError):  # pragma: no cover - the regex admits digits only
            raise NumberError(f"{typed} is not a number I can read") from None
        if match.group("sign") in {"-", "−"}:
            value = -value
        # 3000, not 3E+3 or 3000.0: whole numbers read back as typed
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def check(value: Decimal, kind: Kind, typed: str = "") -> Decimal:
    """``value`` if it is in the range and precision ``kind`` allows, else NumberError."""
    limits = LIMITS[kind]
    shown = excerpt_number(typed) if typed else f"{value}"
    if value < limits.low or value > limits.high:
        if kind is Kind.COUNT and value < 0:
            raise NumberError(f"{shown}: {limits.what} can't be negative")
        raise NumberError(
            f"{shown} is out of range for {limits.what} "
            f"({_plain(limits.low)} to {_plain(limits.high)})"
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > limits.places:
        if kind is Kind.COUNT:
            raise NumberError(f"{shown} is not a whole number: {limits.what} must be")
        raise NumberError(f"{shown} has more than {limits.places} decimal places")
    return value if kind is not Kind.COUNT else value.quantize(Decimal(1))


def _plain(value: Decimal) -> str:
    return f"{value:,.0f}"


def parse_number(text: str, kind: Kind = Kind.PLAIN) -> Decimal:
    """One number typed alone ("3k", "1.5M", "3 000", "$40", "30%"), checked for ``kind``.

    Raises:
        NumberError: not a number, or out of the range of ``kind``.
    """
    stripped = text.strip()
    match = NUMBER.fullmatch(stripped)
    if match is None:
        raise NumberError(f"{excerpt_number(stripped) or 'nothing'} is not a number I can read")
    return check(read_match(match), kind, stripped)


def find_numbers(text: str) -> list[NumberMention]:
    """Every number in ``text``, each read or with the reason it can't be (never raises)."""
    found = []
    for match in NUMBER.finditer(text):
        try:
            value: Decimal | None = read_match(match)
            error = None
        except NumberError as exc:
            value, error = None, exc.message
        found.append(
            NumberMention(
                text=match.group(0).strip(),
                start=match.start(),
                end=match.end(),
                value=value,
                error=error,
                percent=bool(match.group("percent")),
                currency=bool(match.group("currency")),
            )
        )
    return found
