"""The cost intent: "what did we spend last week?" — cloud spend by provider and model."""

from __future__ import annotations

from decimal import Decimal

from golocal.bot.chat import intent
from golocal.bot.handlers.scope import coverage, group_name, narrowed, scope_of
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.attribution import list_attributions
from golocal.db.evidence import ModelUsage, model_usage
from golocal.db.models import DEMO_PREFIX
from golocal.jobs.facts import counted_requests
from golocal.jobs.money import usd_display, usd_string

SPLIT_SHOWN = 8


def split_spend(
    cloud: list[ModelUsage], breakdown: str | None, services: Services
) -> dict[str, Decimal] | None:
    """Priced cloud spend per team, project, key, model or provider, biggest first."""
    if breakdown not in {"team", "project", "api_key", "model", "provider"}:
        return None
    attributions = list_attributions(services.database) if breakdown == "team" else []
    totals: dict[str, Decimal] = {}
    for row in cloud:
        if row.cost_usd is not None:
            name = group_name(row, breakdown, attributions)
            totals[name] = totals.get(name, Decimal(0)) + row.cost_usd
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


@intent("cost")
def answer_cost(question: str, services: Services) -> Reply:
    """Cloud spend over the period the question names (default: the volume window)."""
    scope = scope_of(question, services)
    period = scope.period
    rows = narrowed(
        model_usage(services.database, period.since, period.until),
        scope,
        services,
    )
    cloud = [r for r in rows if r.location == "cloud"]
    tpr = services.settings.volume.tokens_per_request
    by_provider: dict[str, Decimal] = {}
    by_model: dict[str, Decimal] = {}
    unpriced: set[str] = set()
    requests = 0
    for row in cloud:
        requests += counted_requests(row, tpr)
        if row.cost_usd is None:
            unpriced.add(row.model or "(unnamed model)")
            continue
        by_provider[row.provider] = by_provider.get(row.provider, Decimal(0)) + row.cost_usd
        by_model[row.model] = by_model.get(row.model, Decimal(0)) + row.cost_usd
    total = sum(by_provider.values(), Decimal(0)) if by_provider else None
    estimated = any(r.cost_estimated for r in cloud)
    data = {
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "cloud_spend_usd": usd_string(total),
        "cloud_requests": requests,
        "estimated": estimated,
        "unpriced_models": sorted(unpriced),
        "by_provider": {k: usd_string(v) for k, v in sorted(by_provider.items())},
        "by_model": {k: usd_string(v) for k, v in sorted(by_model.items())},
        "sources": sorted({r.source for r in rows}),
        "filters": scope.as_json(),
    }
    split = split_spend(cloud, scope.breakdown, services)
    if split is not None:
        data["by_" + str(scope.breakdown)] = {k: usd_string(v) for k, v in split.items()}
    days, covered = coverage(services, scope)
    data["days_with_data"] = days
    span = f"{scope.describe()} ({covered})"
    if not cloud:
        return Reply("cost", f"No cloud usage recorded for {span}.", data)
    if total is None:
        text = (
            f"Cloud usage for {span} has no cost attached (unpriced: {', '.join(sorted(unpriced))})"
            " — not $0: the sources report no money for it."
        )
        return Reply("cost", text, data)
    providers = ", ".join(f"{k} {usd_display(v)}" for k, v in sorted(by_provider.items()))
    top = sorted(by_model.items(), key=lambda item: item[1], reverse=True)[:3]
    lines = [
        f"Cloud spend for {span}: {usd_display(total)} over {requests:,} requests ({providers}).",
        "Top models: " + ", ".join(f"{m} {usd_display(v)}" for m, v in top) + ".",
    ]
    if split is not None:
        shown = ", ".join(f"{k} {usd_display(v)}" for k, v in list(split.items())[:SPLIT_SHOWN])
        more = f" and {len(split) - SPLIT_SHOWN} more" if len(split) > SPLIT_SHOWN else ""
        lines.append(f"By {str(scope.breakdown).replace('_', ' ')}: {shown}{more}.")
    notes = []
    if estimated:
        notes.append("part of it is estimated from a price table")
    if unpriced:
        notes.append("unpriced (not counted): " + ", ".join(sorted(unpriced)))
    if any(name.startswith(DEMO_PREFIX) for name in data["sources"]):
        notes.append("includes synthetic demo data")
    if notes:
        lines.append("Note: " + "; ".join(notes) + ".")
    return Reply("cost", "\n".join(lines), data)


INTENTS = [answer_cost]
