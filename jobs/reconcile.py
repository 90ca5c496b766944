"""Reconciliation: per provider and UTC day, what the provider billed against what golocal's
usage-priced estimate says, so a stale price table or usage that was never collected shows.

Pure over the ledger (:mod:`golocal.jobs.ledger`): the billed side is the cost report's lines
of the day (non-model line items included), the estimated side the cost on the same day's
usage buckets (price table, or the source's own per-request figure). Only sources that have a
cost report in the window are reconciled; a day of such a source with usage but no bill, or a
bill but no usage, is flagged too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from golocal.jobs.ledger import Entry, Ledger
from golocal.jobs.money import usd_string


@dataclass(frozen=True, slots=True)
class ReconcileRow:
    """One provider-day."""

    provider: str
    source: str
    day: date
    billed_usd: Decimal | None
    estimated_usd: Decimal | None
    #: usage buckets of the day with no price at all (their estimate is missing, not $0)
    unpriced_buckets: int
    flagged: bool

    @property
    def difference_usd(self) -> Decimal | None:
        if self.billed_usd is None or self.estimated_usd is None:
            return None
        return self.billed_usd - self.estimated_usd

    @property
    def difference_pct(self) -> float | None:
        """The difference as a percentage of the bill (``None`` without both sides)."""
        difference = self.difference_usd
        if difference is None or not self.billed_usd:
            return None
        return round(float(difference / self.billed_usd * 100), 2)

    def as_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "source": self.source,
            "day": self.day.isoformat(),
            "billed_usd": usd_string(self.billed_usd),
            "estimated_usd": usd_string(self.estimated_usd),
            "difference_usd": usd_string(self.difference_usd),
            "difference_pct": self.difference_pct,
            "unpriced_buckets": self.unpriced_buckets,
            "flagged": self.flagged,
        }


def reconcile(ledger: Ledger, tolerance_pct: Decimal) -> list[ReconcileRow]:
    """Every provider-day of the ledger's window for the sources that have a cost report."""
    billed_sources = {e.source for e in ledger.entries if e.billed_parts}
    groups: dict[tuple[str, date], list[Entry]] = defaultdict(list)
    for entry in ledger.entries:
        if entry.source in billed_sources:
            groups[(entry.source, entry.day)].append(entry)
    rows = []
    for (source, day), entries in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        billed = [amount for e in entries for _, amount in e.billed_parts]
        usage = [e for e in entries if not e.line_item]
        estimates = [e.usage_cost for e in usage if e.usage_cost is not None]
        unpriced = sum(1 for e in usage if e.usage_cost is None)
        row = ReconcileRow(
            provider=entries[0].provider,
            source=source,
            day=day,
            billed_usd=sum(billed, Decimal(0)) if billed else None,
            estimated_usd=sum(estimates, Decimal(0)) if estimates else None,
            unpriced_buckets=unpriced,
            flagged=False,
        )
        rows.append(_flag(row, tolerance_pct))
    return rows


def _flag(row: ReconcileRow, tolerance_pct: Decimal) -> ReconcileRow:
    pct = row.difference_pct
    if row.billed_usd is None or row.estimated_usd is None:
        flagged = True  # a bill without usage, or usage the bill does not cover
    elif pct is None:
        flagged = row.estimated_usd != 0
    else:
        flagged = Decimal(str(abs(pct))) > tolerance_pct
    return replace(row, flagged=flagged)


def largest_gap(rows: list[ReconcileRow]) -> ReconcileRow | None:
    """The flagged provider-day with the largest absolute difference (for the digest)."""
    gaps = [row for row in rows if row.flagged and row.difference_usd is not None]
    return max(gaps, key=lambda row: (abs(row.difference_usd or 0), row.day), default=None)
