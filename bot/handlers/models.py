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
from golocal.jobs.money import percent_parts, usd_display, usd_string

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
    request_shares, spend_shares = displayed_shares(table)
    for index, entry in enumerate(table[:MAX_LISTED]):
        share = request_shares[index] or "n/a"
        estimated = " ~" if entry["requests_estimated"] else ""
        if entry["cost_usd"] is not None:
            spend = f"{usd_display(Decimal(entry['cost_usd']))}"
            spend += f" ({spend_shares[index]} of spend)" if spend_shares[index] else ""
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


def displayed_shares(table: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Whole-percent shares of requests and of spend per model, each set adding up to 100 %.

    Rounded over every model (largest remainder), not only the ones listed, so the shares a
    reader sees never add up to 99 % or 101 %. A model with no price has no spend share ("").
    """
    requests = percent_parts([Decimal(entry["requests"]) for entry in table])
    priced = [i for i, entry in enumerate(table) if entry["cost_usd"] is not None]
    priced_shares = percent_parts([Decimal(table[i]["cost_usd"]) for i in priced])
    spend = [""] * len(table)
    for index, share in zip(priced, priced_shares, strict=True):
        spend[index] = share
    return requests, spend


INTENTS = [answer_models]
