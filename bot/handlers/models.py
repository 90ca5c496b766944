"""The models intent: which models the team uses, their class, share of requests and spend."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from golocal.bot.chat import intent
from golocal.bot.handlers.scope import coverage, narrowed, scope_of
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.jobs.facts import counted_requests
from golocal.jobs.ledger_read import ledger_model_usage
from golocal.jobs.money import usd_display, usd_string

MAX_LISTED = 8


def model_table(rows: list[Any], services: Services) -> list[dict[str, Any]]:
    """Per model: location, class, requests (estimated where counted from tokens), spend."""
    tpr = services.settings.volume.tokens_per_request
    advisor = services.settings.advisor
    models: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        name = row.model or "(unnamed model)"
        entry = models.setdefault(
            (row.location, name),
            {
                "model": name,
                "location": row.location,
                "providers": set(),
                "requests": 0,
                "requests_estimated": False,
                "cost": None,
                "unpriced": False,
                "cost_estimated": False,
            },
        )
        entry["providers"].add(row.provider)
        entry["requests"] += counted_requests(row, tpr)
        entry["requests_estimated"] |= row.requests_estimate is not None
        if row.cost_usd is not None:
            entry["cost"] = (entry["cost"] or Decimal(0)) + row.cost_usd
        if row.unpriced_buckets and row.location == "cloud":
            entry["unpriced"] = True
        entry["cost_estimated"] |= row.cost_estimated
    total_requests = sum(e["requests"] for e in models.values())
    priced = [e["cost"] for e in models.values() if e["cost"] is not None]
    total_cost = sum(priced, Decimal(0)) if priced else None
    table = []
    for entry in sorted(models.values(), key=lambda e: -e["requests"]):
        model_class = advisor.classify_model(entry["model"])
        cost = entry["cost"]
        table.append(
            {
                "model": entry["model"],
                "location": entry["location"],
                "providers": sorted(entry["providers"]),
                "class": model_class or "unclassified",
                "requests": entry["requests"],
                "requests_estimated": entry["requests_estimated"],
                "request_share": entry["requests"] / total_requests if total_requests else None,
                "cost_usd": usd_string(cost),
                "cost_estimated": entry["cost_estimated"],
                "unpriced": entry["unpriced"],
                "spend_share": float(cost / total_cost)
                if cost is not None and total_cost
                else None,
            }
        )
    return table


@intent("models")
def answer_models(question: str, services: Services) -> Reply:
    """Models in use over the period: class, share of requests and of spend."""
    scope = scope_of(question, services)
    rows = narrowed(
        ledger_model_usage(
            services.database, services.settings, scope.period.since, scope.period.until
        ),
        scope,
        services,
    )
    days, covered = coverage(services, scope)
    table = model_table(rows, services)
    data = {
        "since": scope.period.since.isoformat(),
        "until": scope.period.until.isoformat(),
        "days_with_data": days,
        "filters": scope.as_json(),
        "models": table,
        "sources": sorted({r.source for r in rows}),
    }
    if not table:
        return Reply("models", f"No model usage recorded for {scope.describe()}.", data)
    frontier = sum(m["requests"] for m in table if m["class"] == "frontier")
    total = sum(m["requests"] for m in table)
    lines = [
        f"Models used over {scope.describe()} ({covered}): {len(table)} model(s); "
        f"{frontier / total:.0%} of requests went to frontier-class models."
    ]
    for entry in table[:MAX_LISTED]:
        share = f"{entry['request_share']:.0%}" if entry["request_share"] is not None else "n/a"
        estimated = " ~" if entry["requests_estimated"] else ""
        if entry["cost_usd"] is not None:
            spend = f"{usd_display(Decimal(entry['cost_usd']))}"
            spend += f" ({entry['spend_share']:.0%} of spend)" if entry["spend_share"] else ""
            spend += " est." if entry["cost_estimated"] else ""
        elif entry["location"] == "local":
            spend = "local (no cloud bill)"
        else:
            spend = "unpriced"
        lines.append(
            f"• {entry['model']} [{entry['location']}, {entry['class'].replace('_', '-')}] — "
            f"{entry['requests']:,}{estimated} requests ({share}), {spend}"
        )
    if len(table) > MAX_LISTED:
        lines.append(f"…and {len(table) - MAX_LISTED} more (`--json` lists all).")
    if any(m["requests_estimated"] for m in table):
        lines.append("~ = requests estimated from tokens (the source reports no count).")
    return Reply("models", "\n".join(lines), data)


INTENTS = [answer_models]
