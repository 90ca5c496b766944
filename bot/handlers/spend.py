"""The cost intent: "what did we spend last week?", "cost by team last month", "who spends the
most?" — cloud spend from the ledger (billed where a cost report covers the day), by provider
and model, or broken down by team, project, provider, model or API key."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from golocal.bot.chat import intent
from golocal.bot.entities import breakdown_in
from golocal.bot.handlers.scope import scope_of
from golocal.bot.periods import with_reading
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.attribution import AttributionEntry
from golocal.jobs.ledger import Basis, Entry, Ledger
from golocal.jobs.ledger_read import load_ledger
from golocal.jobs.money import usd_display, usd_string
from golocal.jobs.showback import DIMENSIONS, all_attributions, spend_by, team_of

_WHO = re.compile(r"\b(?:who|which (?:team|project|key)s?)\b.*\bspend", re.IGNORECASE)
_BY_OTHER = re.compile(r"\b(?:by|per)\s+(provider|model)s?\b", re.IGNORECASE)


def narrowed_ledger(
    ledger: Ledger, filters: dict[str, str], attributions: list[AttributionEntry]
) -> Ledger:
    """The ledger's entries of a named provider, model, project, API key or team."""
    if not filters:
        return ledger

    def keep(entry: Entry) -> bool:
        for name, value in filters.items():
            actual = team_of(entry, attributions) if name == "team" else getattr(entry, name, None)
            if actual != value:
                return False
        return True

    return replace(ledger, entries=[entry for entry in ledger.entries if keep(entry)])


def dimension_in(question: str) -> str | None:
    """The breakdown a question asks for ("by team", "who spends the most?"), if any."""
    named = breakdown_in(question)
    if named is not None:
        named = "key" if named == "api_key" else named
        if named in DIMENSIONS:  # "per day" is not a spend breakdown
            return named
    if match := _BY_OTHER.search(question):
        return match.group(1).lower()
    return "team" if _WHO.search(question) else None


@intent("cost")
def answer_cost(question: str, services: Services) -> Reply:
    """Cloud spend over the period the question names (default: the volume window)."""
    scope = scope_of(question, services)
    period = scope.period
    attributions = all_attributions(services.database, services.settings)
    ledger = narrowed_ledger(
        load_ledger(services.database, services.settings, period.since, period.until),
        scope.filters,
        attributions,
    )
    providers = spend_by(ledger, "provider", attributions)
    models = spend_by(ledger, "model", attributions)
    by = dimension_in(question)
    data: dict[str, Any] = {
        "period": period.to_json(ledger.days_with_data()),
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "cloud_spend_usd": usd_string(providers.total_usd),
        "total_usd": usd_string(providers.total_usd),
        "cloud_requests": providers.requests,
        "estimated": providers.basis is Basis.ESTIMATED,
        "cost_basis": providers.basis.value,
        "unpriced_models": providers.unpriced_models,
        "by_provider": {
            r.key: usd_string(r.cost_usd) for r in providers.rows if r.cost_usd is not None
        },
        "by_model": {r.key: usd_string(r.cost_usd) for r in models.rows if r.cost_usd is not None},
        "sources": sorted({entry.source for entry in ledger.entries}),
    }
    breakdown = spend_by(ledger, by, attributions) if by else None
    filters: dict[str, str] = dict(scope.filters)
    if breakdown is not None:
        data.update({k: v for k, v in breakdown.as_json().items() if k not in ("total_usd",)})
        filters["breakdown"] = "api_key" if by == "key" else str(by)
    if filters:
        data["filters"] = filters
    coverage = period.coverage_text(ledger.days_with_data())
    span = scope.describe()
    if not ledger.cloud():
        return Reply(
            "cost",
            with_reading(scope.reading, f"No cloud usage recorded for {span} ({coverage})."),
            data,
        )
    if providers.total_usd is None:
        text = (
            f"Cloud usage for {span} has no cost attached (unpriced: "
            f"{', '.join(providers.unpriced_models)}) — not $0: the sources report no money for "
            f"it. Coverage: {coverage}."
        )
        return Reply("cost", with_reading(scope.reading, text), data)
    lines = [
        f"Cloud spend for {span}: {usd_display(providers.total_usd)} over "
        f"{providers.requests:,} requests ({', '.join(providers.lines())}).",
    ]
    if breakdown is not None:
        lines.append(f"By {by}: " + ", ".join(breakdown.lines(limit=8)) + ".")
    else:
        lines.append("Top models: " + ", ".join(models.lines(limit=3)) + ".")
    lines.append(f"Coverage: {coverage}.")
    notes = _notes(providers.basis, providers.unpriced_models, data["sources"])
    if notes:
        lines.append("Note: " + "; ".join(notes) + ".")
    return Reply("cost", with_reading(scope.reading, "\n".join(lines)), data)


def _notes(basis: Basis, unpriced: list[str], sources: list[str]) -> list[str]:
    from golocal.db.models import DEMO_PREFIX

    notes = []
    if basis is Basis.ESTIMATED:
        notes.append("part of it is estimated from a price table (no cost report for those days)")
    elif basis is Basis.ALLOCATED:
        notes.append("billed totals split by usage shares are marked allocated")
    if unpriced:
        notes.append("unpriced (not counted): " + ", ".join(unpriced))
    if any(name.startswith(DEMO_PREFIX) for name in sources):
        notes.append("includes synthetic demo data")
    return notes


INTENTS = [answer_cost]
