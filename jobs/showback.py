"""Showback: cloud spend of a period by team, project, provider, model or API key.

Attribution is applied when the ledger is read, never written into usage rows: mapping a
project or key to a team (``golocal attribute set``, or ``[[advisor.attribution]]`` in the
TOML file) changes every past period too, and spend nobody is mapped to is shown as
unattributed rather than dropped. Money and request counts are the ledger's
(:mod:`golocal.jobs.ledger`), so a breakdown adds up to the same total as every other surface.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from golocal.config.settings import Settings
from golocal.db.attribution import AttributionEntry, list_attributions
from golocal.db.database import Database
from golocal.jobs.ledger import Basis, Entry, Ledger
from golocal.jobs.money import display_parts, percent_parts, usd_display, usd_string

#: what a breakdown can be by (``key`` is the provider's API key id, never the key)
DIMENSIONS = ("team", "project", "provider", "model", "key")
#: dimensions where an empty value means nobody is mapped / the source names none
_ATTRIBUTED = ("team", "project", "key")
UNATTRIBUTED = "(unattributed)"


def config_attributions(settings: Settings) -> list[AttributionEntry]:
    """Attributions declared in the TOML file (``[[advisor.attribution]]``)."""
    return [
        AttributionEntry(
            provider=rule.provider,
            kind=rule.kind,
            external_id=rule.id,
            team=rule.team,
            sensitivity=rule.sensitivity,
            label=None,
            updated_by="config",
            updated_at=None,
        )
        for rule in settings.advisor.attribution
    ]


def all_attributions(database: Database, settings: Settings) -> list[AttributionEntry]:
    """Stored mappings, then the configured ones they do not override."""
    stored = list_attributions(database)
    stored_keys = {(a.provider, a.kind, a.external_id) for a in stored}
    # a mapping stored with `golocal attribute` wins over the same one in the config file
    configured = [
        a
        for a in config_attributions(settings)
        if (a.provider, a.kind, a.external_id) not in stored_keys
    ]
    return [*stored, *configured]


def attributed_team(
    provider: str,
    project: str,
    api_key: str,
    stored_team: str | None,
    attributions: Sequence[AttributionEntry],
) -> str | None:
    """The team of usage: API-key mapping, then project/workspace, then the stored team.

    Mappings come first so that re-attributing changes history; a team a collector stored
    (a gateway's team) stands where nothing is mapped.
    """
    for kind in ("api_key", "project", "workspace"):
        for mapping in attributions:
            if (
                mapping.kind == kind
                and mapping.team
                and mapping.matches(provider, project, api_key)
            ):
                return mapping.team
    return stored_team or None


def team_of(entry: Entry, attributions: Sequence[AttributionEntry]) -> str | None:
    """The team of a ledger entry (see :func:`attributed_team`)."""
    return attributed_team(
        entry.provider, entry.project, entry.api_key, entry.stored_team, attributions
    )


def key_of(entry: Entry, by: str, attributions: Sequence[AttributionEntry]) -> str:
    """The breakdown key of an entry ('' = unattributed)."""
    if by == "team":
        return team_of(entry, attributions) or ""
    if by == "project":
        return entry.project
    if by == "key":
        return entry.api_key
    if by == "provider":
        return entry.provider
    # a line item that is not model usage is listed by its own name
    return entry.model or entry.line_item or "(no model)"


@dataclass(frozen=True, slots=True)
class SpendRow:
    """One value of the dimension and its spend over the period."""

    key: str
    cost_usd: Decimal | None
    requests: int
    basis: Basis
    unpriced: bool
    share: float | None
    estimated_usd: Decimal | None = None
    unpriced_buckets: int = 0

    @property
    def cost_estimated(self) -> bool:
        return self.basis is Basis.ESTIMATED

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "cost_usd": usd_string(self.cost_usd),
            "requests": self.requests,
            "cost_estimated": self.cost_estimated,
            "cost_basis": self.basis.value,
            "allocated": self.basis is Basis.ALLOCATED,
            "unpriced": self.unpriced,
            "share": self.share,
        }


@dataclass(frozen=True)
class Spend:
    """Cloud spend of a ledger's period by one dimension."""

    by: str
    rows: list[SpendRow]
    total_usd: Decimal | None
    requests: int
    unattributed: SpendRow | None
    basis: Basis
    unpriced_models: list[str]

    @property
    def unattributed_usd(self) -> Decimal | None:
        if self.unattributed is None:
            return Decimal(0) if self.by in _ATTRIBUTED and self.total_usd is not None else None
        return self.unattributed.cost_usd

    def as_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "total_usd": usd_string(self.total_usd),
            "requests": self.requests,
            "cost_estimated": self.basis is Basis.ESTIMATED,
            "cost_basis": self.basis.value,
            "rows": [row.as_json() for row in self.rows],
            "unattributed_usd": usd_string(self.unattributed_usd),
            "unattributed_requests": self.unattributed.requests if self.unattributed else 0,
            "unattributed": self.unattributed.as_json() if self.unattributed else None,
            "unpriced_models": self.unpriced_models,
        }

    def lines(self, limit: int | None = None) -> list[str]:
        """``payments $1,204.10 (41%)`` lines whose shown amounts add up to the shown total.

        Rows past ``limit`` are summed into one "N others" line, so nothing is dropped.
        """
        shown_rows: list[tuple[str, Decimal]] = [
            (row.key + _flag(row), row.cost_usd) for row in self.rows if row.cost_usd is not None
        ]
        if limit is not None and len(shown_rows) > limit:
            rest = sum((amount for _, amount in shown_rows[limit:]), Decimal(0))
            shown_rows = [*shown_rows[:limit], (f"{len(shown_rows) - limit} others", rest)]
        if self.unattributed is not None and self.unattributed.cost_usd is not None:
            shown_rows.append((UNATTRIBUTED + _flag(self.unattributed), self.unattributed.cost_usd))
        amounts, _ = display_parts([amount for _, amount in shown_rows])
        shares = percent_parts(amounts)
        return [
            f"{name} {usd_display(amount)}" + (f" ({share})" if share else "")
            for (name, _), amount, share in zip(shown_rows, amounts, shares, strict=True)
        ]


def _flag(row: SpendRow) -> str:
    if row.basis is Basis.ESTIMATED:
        return " (estimated)"
    if row.basis is Basis.ALLOCATED:
        return " (allocated)"
    return ""


def spend_by(ledger: Ledger, by: str, attributions: Sequence[AttributionEntry] = ()) -> Spend:
    """Cloud spend of the ledger's window grouped by ``by`` (one of :data:`DIMENSIONS`)."""
    if by not in DIMENSIONS:
        raise ValueError(f"--by must be one of {', '.join(DIMENSIONS)} (got {by!r})")
    cloud = ledger.cloud()
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in cloud:
        groups[key_of(entry, by, attributions)].append(entry)
    costs = [entry.cost_usd for entry in cloud if entry.cost_usd is not None]
    total = sum(costs, Decimal(0)) if costs else None
    rows = [_row(ledger, key, group, total) for key, group in groups.items()]
    unattributed = None
    if by in _ATTRIBUTED:
        unattributed = next((row for row in rows if row.key == ""), None)
        rows = [row for row in rows if row.key != ""]
        if unattributed is not None:
            unattributed = _row(ledger, UNATTRIBUTED, groups[""], total)
    rows.sort(key=lambda row: (-(row.cost_usd or Decimal(-1)), row.key))
    unpriced = sorted(
        {e.model or "(no model)" for e in cloud if e.basis is Basis.UNPRICED or e.unpriced_buckets}
    )
    return Spend(
        by=by,
        rows=rows,
        total_usd=total,
        requests=sum(entry.requests for entry in cloud),
        unattributed=unattributed,
        basis=ledger.basis(cloud),
        unpriced_models=unpriced,
    )


def _row(ledger: Ledger, key: str, entries: list[Entry], total: Decimal | None) -> SpendRow:
    costs = [entry.cost_usd for entry in entries if entry.cost_usd is not None]
    cost = sum(costs, Decimal(0)) if costs else None
    share = round(float(cost / total), 4) if cost is not None and total else None
    estimated = [e.cost_usd for e in entries if e.cost_estimated and e.cost_usd is not None]
    return SpendRow(
        key=key,
        cost_usd=cost,
        requests=sum(entry.requests for entry in entries),
        basis=ledger.basis(entries),
        unpriced=any(e.basis is Basis.UNPRICED or e.unpriced_buckets for e in entries),
        share=share,
        estimated_usd=sum(estimated, Decimal(0)) if estimated else None,
        unpriced_buckets=sum(e.unpriced_buckets for e in entries),
    )
