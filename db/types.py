"""Column types that behave the same on SQLite and PostgreSQL.

Two things differ between the dialects in ways that would change answers:

* SQLite has no exact decimal type (NUMERIC columns become floats), so money is stored as a
  whole number of nano-dollars in a BIGINT and handed to Python as ``Decimal``: sums in SQL
  stay exact on both databases.
* SQLite has no time zones, so every timestamp is stored as naive UTC and comes back as an
  aware UTC ``datetime``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

NANOS_PER_UNIT = 1_000_000_000


def to_nanos(amount: Decimal) -> int:
    """Convert a money amount to whole nano-units, rounding half-even below a nano."""
    return int(amount.scaleb(9).to_integral_value())


def from_nanos(nanos: int) -> Decimal:
    """Convert whole nano-units back to an exact ``Decimal``."""
    return Decimal(nanos).scaleb(-9)


class Money(TypeDecorator[Decimal]):
    """An exact amount of money, stored as integer nano-units (1e-9)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            # floats would smuggle binary rounding into the books: insist on Decimal or int/str
            if isinstance(value, float):
                raise TypeError("money must be a Decimal, not a float")
            value = Decimal(value)
        return to_nanos(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_nanos(int(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored as naive UTC, returned as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        moment: datetime = value
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = (
            datetime.fromisoformat(value)  # raw SQL on SQLite may hand back text
            if isinstance(value, str)
            else value
        )
        return moment.replace(tzinfo=UTC)
