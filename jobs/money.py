"""Money as golocal shows it: exact ``Decimal`` amounts rendered as decimal strings."""

from __future__ import annotations

from decimal import Decimal

_FOUR_PLACES = Decimal("0.0001")


def usd_string(amount: Decimal | None) -> str | None:
    """Render an amount exactly, with at least four decimal places (``"18.2405"``).

    Trailing zeros beyond the fourth place are dropped, digits are never rounded away, and
    ``None`` ("not reported") stays ``None`` rather than becoming ``"0"``.
    """
    if amount is None:
        return None
    if amount == amount.quantize(_FOUR_PLACES):
        return str(amount.quantize(_FOUR_PLACES))
    return format(amount.normalize(), "f")


def usd_display(amount: Decimal | None, *, unknown: str = "not reported") -> str:
    """Render an amount for people: ``$1,234.56``; small amounts keep significant digits."""
    if amount is None:
        return unknown
    if abs(amount) >= 1 or amount == 0:
        return f"${amount:,.2f}"
    return f"${amount:.4f}"
