"""The cost intent: "what did we spend last week?" — cloud spend by provider and model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from golocal.bot.chat import intent
from golocal.bot.handlers.wording import day_span
from golocal.bot.periods import period_in
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.evidence import model_usage
from golocal.db.models import DEMO_PREFIX
from golocal.jobs.facts import counted_requests
from golocal.jobs.money import usd_display, usd_string


@intent("cost")
def answer_cost(question: str, services: Services) -> Reply:
    """Cloud spend over the period the question names (default: the volume window)."""
    today = services.now().date()
    period = period_in(question, today, services.settings.volume.window_days)
    rows = model_usage(services.database, period.since, period.until)
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
    data: dict[str, Any] = {
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "cloud_spend_usd": usd_string(total),
        "cloud_requests": requests,
        "estimated": estimated,
        "unpriced_models": sorted(unpriced),
        "by_provider": {k: usd_string(v) for k, v in sorted(by_provider.items())},
        "by_model": {k: usd_string(v) for k, v in sorted(by_model.items())},
        "sources": sorted({r.source for r in rows}),
    }
    span = f"{period.label}, {day_span(period.since, period.until)}"
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
