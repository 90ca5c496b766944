"""The ledger: the one place where money and request counts are decided, per UTC day.

Every surface (``report volume``, ``report spend``, the digest, chat answers, the App Home,
the advisor) reads these entries, so two surfaces never disagree on the same number. Rules:

* **Billed wins.** Where a source's own cost report (cost lines) covers a day, that source's
  money for the day is what it billed, to the nano-dollar. A cost line that names a model
  (and project / API key) goes to the usage of that model (and project / key). A line naming
  no model goes to all of the day's usage when no line of that day names a model; otherwise it
  is not model usage (vector storage, web-search tool calls) and stays its own entry, listed
  by line item. Where a line covers several usage lines (several API keys of one model, say),
  it is split by their usage-priced shares (tokens, then requests, where unpriced) exactly,
  and the parts are flagged **allocated**.
* A cost line in another currency than USD is shown as an unpriced line item and bills
  nothing (golocal converts no currency); that day keeps its estimates.
* **Estimated** (a price table's figure on the usage bucket) or **reported** (the source's own
  per-request cost, e.g. a gateway) stands only where no cost report covers the day;
  **unpriced** usage has no cost: unknown, never $0.
* **One request count.** Sources that report tokens but no request count get
  ``tokens / tokens-per-request`` per usage line, where tokens-per-request is measured on the
  same UTC day from the sources that report both (the configured default without enough
  evidence that day) — so a day's estimate never depends on the window it is shown in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from golocal.db.ledger import BilledLine, UsageLine
from golocal.db.usage import SourceDay
from golocal.jobs.money import split_exact
from golocal.jobs.request_estimate import measured_tokens_per_request
from golocal.jobs.volume import estimate_requests


class Basis(StrEnum):
    """Where an entry's money comes from."""

    BILLED = "billed"
    ALLOCATED = "allocated"
    ESTIMATED = "estimated"
    REPORTED = "reported"
    UNPRICED = "unpriced"
    #: local usage: no money of its own in the ledger
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Entry:
    """One usage line (or one cost line that matches no usage) of one day, with its money."""

    day: date
    source: str
    location: str
    provider: str
    model: str
    project: str
    api_key: str
    #: the cost line's name for entries that are not usage ("Vector storage")
    line_item: str
    stored_team: str | None
    requests: int
    #: the count the source reported (``None``: it reports tokens only)
    requests_reported: int | None
    #: the estimated part of ``requests`` (``None``: the source reported every count)
    requests_estimate: int | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None
    basis: Basis
    #: (cost-line id, amount) of the billed parts this entry holds
    billed_parts: tuple[tuple[int, Decimal], ...] = ()
    unpriced_buckets: int = 0
    #: the cost on the usage buckets themselves (a price-table estimate or source-reported):
    #: what reconciliation holds against the bill
    usage_cost: Decimal | None = None

    @property
    def cost_estimated(self) -> bool:
        return self.basis is Basis.ESTIMATED

    @property
    def billed(self) -> bool:
        return self.basis in (Basis.BILLED, Basis.ALLOCATED)


@dataclass(frozen=True)
class Ledger:
    """The entries of ``since <= day < until`` and how many parts each cost line was split in."""

    since: date
    until: date
    entries: list[Entry]
    line_parts: dict[int, int] = field(default_factory=dict)

    def cloud(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.location == "cloud"]

    def days_with_data(self) -> int:
        return len({entry.day for entry in self.entries})

    def allocated(self, entries: Iterable[Entry]) -> bool:
        """Whether a group of entries holds only part of some cost line (a split, not a bill)."""
        held: dict[int, int] = defaultdict(int)
        for entry in entries:
            for line_id, _ in entry.billed_parts:
                held[line_id] += 1
        return any(count < self.line_parts.get(line_id, 1) for line_id, count in held.items())

    def source_days(self) -> list[SourceDay]:
        """Per (day, source) totals for the volume report, money and estimates included."""
        groups: dict[tuple[date, str], list[Entry]] = defaultdict(list)
        for entry in self.entries:
            groups[(entry.day, entry.source)].append(entry)
        return [
            _source_day(day, source, group, self.basis(group))
            for (day, source), group in sorted(groups.items())
        ]

    def slice(self, since: date, until: date) -> Ledger:
        """The entries of ``since <= day < until`` (a part of this ledger's window)."""
        entries = [entry for entry in self.entries if since <= entry.day < until]
        return Ledger(since=since, until=until, entries=entries, line_parts=self.line_parts)

    def cloud_total(self) -> Decimal | None:
        """Cloud money of the window (``None`` when nothing is priced)."""
        costs = [
            e.cost_usd for e in self.entries if e.location == "cloud" and e.cost_usd is not None
        ]
        return sum(costs, Decimal(0)) if costs else None

    def basis(self, entries: Sequence[Entry]) -> Basis:
        """A group's basis: its weakest money (estimated, reported), else billed or allocated.

        A group that holds every part of the cost lines it touches is billed, even where the
        ledger split those lines among its members (a provider-day, a model).
        """
        bases = {entry.basis for entry in entries}
        for basis in (Basis.ESTIMATED, Basis.REPORTED):
            if basis in bases:
                return basis
        if bases & {Basis.BILLED, Basis.ALLOCATED}:
            return Basis.ALLOCATED if self.allocated(entries) else Basis.BILLED
        return Basis.UNPRICED if Basis.UNPRICED in bases else Basis.NONE


def _source_day(day: date, source: str, entries: list[Entry], basis: Basis) -> SourceDay:
    usage = [entry for entry in entries if not entry.line_item]
    requests = [e.requests_reported for e in usage if e.requests_reported is not None]
    estimates = [e.requests_estimate for e in usage if e.requests_estimate is not None]
    costs = [entry.cost_usd for entry in entries if entry.cost_usd is not None]
    return SourceDay(
        day=day,
        source=source,
        location=entries[0].location,
        requests=sum(requests) if requests else None,
        tokens_without_requests=0,
        buckets_without_requests=1 if estimates else 0,
        input_tokens=sum_known(e.input_tokens for e in usage),
        output_tokens=sum_known(e.output_tokens for e in usage),
        cost_usd=sum(costs, Decimal(0)) if costs else None,
        cost_estimated=basis is Basis.ESTIMATED or any(e.cost_estimated for e in entries),
        requests_estimate=sum(estimates) if estimates else None,
        cost_basis=basis.value,
    )


def sum_known(values: Iterable[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def build_ledger(
    usage: Sequence[UsageLine],
    billed: Sequence[BilledLine],
    since: date,
    until: date,
    *,
    tokens_per_request: int,
) -> Ledger:
    """Decide every day's money and request counts (see the module docstring).

    Args:
        usage: usage lines of the window (:func:`golocal.db.ledger.usage_lines`).
        billed: cost-report lines of the window (:func:`golocal.db.ledger.billed_lines`).
        tokens_per_request: the configured default divisor for token-only sources.
    """
    usage_by_day: dict[date, list[UsageLine]] = defaultdict(list)
    for line in usage:
        usage_by_day[line.day].append(line)
    counted: dict[int, tuple[int, int | None]] = {}
    for lines in usage_by_day.values():
        divisor = measured_tokens_per_request(lines, tokens_per_request)
        for line in lines:
            counted[id(line)] = _counted(line, divisor)

    billed_by_source_day: dict[tuple[date, str], list[tuple[int, BilledLine]]] = defaultdict(list)
    foreign: list[Entry] = []
    for line_id, billed_line in enumerate(billed):
        if billed_line.currency != "USD":
            # golocal converts no currency: the line is shown, unpriced, and bills nothing
            foreign.append(
                replace(
                    _line_entry(line_id, billed_line),
                    cost_usd=None,
                    basis=Basis.UNPRICED,
                    line_item=f"{billed_line.line_item} ({billed_line.amount} "
                    f"{billed_line.currency})",
                    billed_parts=(),
                    unpriced_buckets=1,
                )
            )
            continue
        billed_by_source_day[(billed_line.day, billed_line.source)].append((line_id, billed_line))
    usage_by_source_day: dict[tuple[date, str], list[UsageLine]] = defaultdict(list)
    for line in usage:
        usage_by_source_day[(line.day, line.source)].append(line)

    entries: list[Entry] = []
    line_parts: dict[int, int] = {}
    for key in sorted(set(usage_by_source_day) | set(billed_by_source_day)):
        lines = usage_by_source_day.get(key, [])
        bills = billed_by_source_day.get(key)
        if bills is None:
            entries.extend(_unbilled_entry(line, counted[id(line)]) for line in lines)
            continue
        parts, leftovers = _allocate(lines, bills)
        for line_id, _ in bills:
            line_parts[line_id] = (
                sum(1 for held in parts.values() for held_id, _ in held if held_id == line_id) or 1
            )
        for line in lines:
            held = parts.get(id(line), [])
            entries.append(_billed_entry(line, counted[id(line)], held, line_parts))
        entries.extend(leftovers)
    return Ledger(since=since, until=until, entries=entries + foreign, line_parts=line_parts)


def _counted(line: UsageLine, divisor: int) -> tuple[int, int | None]:
    """(requests counted, the estimated part or None) for one usage line."""
    estimate = None
    if line.buckets_without_requests:
        estimate = estimate_requests(line.tokens_without_requests, divisor)
    return (line.requests or 0) + (estimate or 0), estimate


def _entry(
    line: UsageLine,
    counted: tuple[int, int | None],
    cost_usd: Decimal | None,
    basis: Basis,
    billed_parts: tuple[tuple[int, Decimal], ...] = (),
) -> Entry:
    requests, estimate = counted
    return Entry(
        day=line.day,
        source=line.source,
        location=line.location,
        provider=line.provider,
        model=line.model,
        project=line.project,
        api_key=line.api_key,
        line_item="",
        stored_team=line.team,
        requests=requests,
        requests_reported=line.requests,
        requests_estimate=estimate,
        input_tokens=line.input_tokens,
        output_tokens=line.output_tokens,
        cost_usd=cost_usd,
        basis=basis,
        billed_parts=billed_parts,
        # a billed day has no unpriced usage: the bill prices all of it
        unpriced_buckets=0 if billed_parts or basis is Basis.BILLED else line.unpriced_buckets,
        usage_cost=line.cost_usd,
    )


def _unbilled_entry(line: UsageLine, counted: tuple[int, int | None]) -> Entry:
    if line.location != "cloud" and line.cost_usd is None:
        basis = Basis.NONE
    elif line.cost_usd is None:
        basis = Basis.UNPRICED
    else:
        basis = Basis.ESTIMATED if line.cost_estimated else Basis.REPORTED
    return _entry(line, counted, line.cost_usd, basis)


def _billed_entry(
    line: UsageLine,
    counted: tuple[int, int | None],
    held: list[tuple[int, Decimal]],
    line_parts: dict[int, int],
) -> Entry:
    split = any(line_parts.get(line_id, 1) > 1 for line_id, _ in held)
    # usage no cost line names is priced inside the bill's other lines: no money of its own
    amount = sum((part for _, part in held), Decimal(0))
    basis = Basis.ALLOCATED if split else Basis.BILLED
    return _entry(line, counted, amount, basis, tuple(held))


def _matches(line: UsageLine, bill: BilledLine, *, exact_model: bool) -> bool:
    if bill.project and bill.project != line.project:
        return False
    if bill.api_key and bill.api_key != line.api_key:
        return False
    if bill.model is None:
        return True
    if exact_model:
        return line.model == bill.model
    # "gpt-4o" on the bill, "gpt-4o-2024-08-06" in usage (or the other way round)
    return line.model.startswith(f"{bill.model}-") or bill.model.startswith(f"{line.model}-")


def _weights(lines: list[UsageLine]) -> list[Decimal]:
    """Usage-priced shares; tokens where any line is unpriced; then requests."""
    if all(line.cost_usd is not None for line in lines):
        costs = [line.cost_usd or Decimal(0) for line in lines]
        if sum(costs, Decimal(0)) > 0:
            return costs
    tokens = [Decimal((line.input_tokens or 0) + (line.output_tokens or 0)) for line in lines]
    if sum(tokens, Decimal(0)) > 0:
        return tokens
    return [Decimal(line.requests or 0) for line in lines]


def _allocate(
    lines: list[UsageLine], bills: list[tuple[int, BilledLine]]
) -> tuple[dict[int, list[tuple[int, Decimal]]], list[Entry]]:
    """Give each cost line of one source-day to the usage it covers; the rest stay entries."""
    any_model = any(bill.model for _, bill in bills)
    parts: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    leftovers: list[Entry] = []
    for line_id, bill in bills:
        if bill.model is None and any_model:
            covered: list[UsageLine] = []  # not model usage: its own line item
        else:
            covered = [line for line in lines if _matches(line, bill, exact_model=True)]
            if not covered and bill.model is not None:
                covered = [line for line in lines if _matches(line, bill, exact_model=False)]
        if not covered:
            leftovers.append(_line_entry(line_id, bill))
            continue
        for line, amount in zip(covered, split_exact(bill.amount, _weights(covered)), strict=True):
            parts[id(line)].append((line_id, amount))
    return parts, leftovers


def _line_entry(line_id: int, bill: BilledLine) -> Entry:
    return Entry(
        day=bill.day,
        source=bill.source,
        location="cloud",
        provider=bill.provider,
        model=bill.model or "",
        project=bill.project,
        api_key=bill.api_key,
        line_item=bill.line_item or "(unnamed line item)",
        stored_team=None,
        requests=0,
        requests_reported=None,
        requests_estimate=None,
        input_tokens=None,
        output_tokens=None,
        cost_usd=bill.amount,
        basis=Basis.BILLED,
        billed_parts=((line_id, bill.amount),),
    )
