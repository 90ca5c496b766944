"""Money as golocal shows it: exact ``Decimal`` amounts rendered as decimal strings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

_FOUR_PLACES = Decimal("0.0001")
#: the smallest amount golocal stores (nano-dollars, like the database's Money column)
NANO = Decimal("0.000000001")
CENT = Decimal("0.01")


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
    """Render an amount for people, always one way: ``$1,234.56`` (``-$3.10`` for a credit).

    Two decimals, rounded half-even, with thousands separators; JSON carries the exact
    decimal string (:func:`usd_string`). Parts shown under a total are rounded with
    :func:`display_parts` so that they add up to it.
    """
    if amount is None:
        return unknown
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    if rounded < 0:
        return f"-${-rounded:,.2f}"
    return f"${rounded:,.2f}"


def split_exact(
    total: Decimal, weights: Sequence[Decimal | int], quantum: Decimal = NANO
) -> list[Decimal]:
    """Split ``total`` by ``weights`` into multiples of ``quantum`` that add up to it exactly.

    Largest remainder: every part is rounded down to the quantum, then the quanta left over go
    to the parts with the largest remainders (ties: the earlier part). Zero or negative total
    weight splits evenly. A negative ``total`` (a refund) splits like its absolute value.
    """
    if not weights:
        return []
    if total < 0:
        return [-part for part in split_exact(-total, weights, quantum)]
    clean = [max(Decimal(w), Decimal(0)) for w in weights]
    weight_sum = sum(clean, Decimal(0))
    if weight_sum <= 0:
        clean, weight_sum = [Decimal(1)] * len(weights), Decimal(len(weights))
    units = int((total / quantum).to_integral_value(rounding=ROUND_FLOOR))
    exact = [Decimal(units) * w / weight_sum for w in clean]
    floors = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
    left = units - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in order[:left]:
        floors[index] += 1
    parts = [Decimal(units_) * quantum for units_ in floors]
    # a total finer than the quantum keeps its last digits on the largest part
    rest = total - Decimal(units) * quantum
    if rest:
        largest = max(range(len(parts)), key=lambda i: (parts[i], -i))
        parts[largest] += rest
    return parts


def display_parts(
    parts: Sequence[Decimal], quantum: Decimal = CENT
) -> tuple[list[Decimal], Decimal]:
    """Round parts for display so that they add up to the rounded total (largest remainder).

    Each part is rounded half-even; the quanta the rounding lost (or gained) against the
    rounded total go to the parts whose rounding moved them furthest. Returns the displayed
    parts and the displayed total; ``sum(parts) == total`` always, refunds (negative parts)
    included.
    """
    total = sum(parts, Decimal(0)).quantize(quantum, rounding=ROUND_HALF_EVEN)
    shown = [part.quantize(quantum, rounding=ROUND_HALF_EVEN) for part in parts]
    missing = int((total - sum(shown, Decimal(0))) / quantum)
    errors = [part - rounded for part, rounded in zip(parts, shown, strict=True)]
    step = quantum if missing > 0 else -quantum
    order = sorted(range(len(parts)), key=lambda i: (-errors[i] if missing > 0 else errors[i], i))
    for index in order[: abs(missing)]:
        shown[index] += step
    return shown, total


def percent_parts(amounts: Sequence[Decimal]) -> list[str]:
    """Whole-percent shares of ``amounts`` that add up to 100 % (largest remainder)."""
    total = sum(amounts, Decimal(0))
    if not amounts or total == 0:
        return ["" for _ in amounts]
    shares, _ = display_parts([amount / total * 100 for amount in amounts], Decimal(1))
    return [f"{share:.0f}%" for share in shares]
