"""The top_users intent: which team, project or API key uses the most, where sources say.

Providers identify usage by project/workspace and API key id; teams come from the gateway
or from ``golocal attribute``. Usage no source attributes is counted as "(unattributed)",
never dropped, so the shares add up.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from golocal.bot.chat import intent
from golocal.bot.handlers.scope import (
    NOT_IDENTIFIED,
    coverage,
    group_name,
    narrowed,
    scope_of,
    team_of,
)
from golocal.bot.numbers import Kind, NumberError, excerpt_number, parse_number
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.evidence import ModelUsage
from golocal.jobs.facts import counted_requests
from golocal.jobs.ledger_read import ledger_model_usage
from golocal.jobs.money import usd_display, usd_string
from golocal.jobs.showback import all_attributions

SHOWN = 5
#: "top 10 projects": at most this many on request
MAX_SHOWN = 50
_TOP_N = re.compile(r"\btop\s+(\S+)\s+(?:users?|teams?|projects?|keys?|api|spenders?|consumers?)")


def shown_count(question: str) -> int:
    """How many places to list: "top 3 teams" → 3; default :data:`SHOWN`.

    Raises:
        NumberError: a number that is not a whole count from 1 to :data:`MAX_SHOWN`.
    """
    match = _TOP_N.search(question.lower())
    if match is None or not match.group(1)[0].isdigit():
        return SHOWN
    count = parse_number(match.group(1), Kind.COUNT)
    if not 1 <= count <= MAX_SHOWN:
        raise NumberError(
            f"I can list the top 1 to {MAX_SHOWN}, not {excerpt_number(match.group(1))}"
        )
    return int(count)


#: What "by …" or the question's words may split by, in the order tried when none is named.
DIMENSIONS = ("team", "project", "api_key")
_NAMES = {"team": "team", "project": "project/workspace", "api_key": "API key"}


def _dimension(question: str, breakdown: str | None, rows: list[ModelUsage], teams: dict) -> str:
    if breakdown in DIMENSIONS:
        return str(breakdown)
    lowered = question.lower()
    for name, words in (("api_key", ("key",)), ("project", ("project", "workspace"))):
        if any(word in lowered for word in words):
            return name
    if "team" in lowered or any(teams.values()):
        return "team"
    return "project" if any(row.project for row in rows) else "api_key"


_SPEND = re.compile(r"\b(?:spen[dt]s?|spending|costs?|money|bill(?:ed)?|paid|pays?)\b", re.I)


@intent("top_users")
def answer_top_users(question: str, services: Services) -> Reply:
    """The biggest users by requests (and spend) over the period.

    "Who spends the most?" is a showback question: it gets the spend breakdown (ledger
    money, by team unless the question names another split), the same as "cost by team".
    """
    if _SPEND.search(question):
        from golocal.bot.handlers.spend import answer_cost

        return answer_cost.handler(question, services)
    scope = scope_of(question, services)
    shown = shown_count(question)
    rows = narrowed(
        ledger_model_usage(
            services.database, services.settings, scope.period.since, scope.period.until
        ),
        scope,
        services,
    )
    attributions = all_attributions(services.database, services.settings)
    teams = {id(row): team_of(row, attributions) for row in rows}
    dimension = _dimension(question, scope.breakdown, rows, teams)
    tpr = services.settings.volume.tokens_per_request
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = group_name(row, dimension, attributions)
        entry = groups.setdefault(name, {"requests": 0, "cost": None, "estimated": False})
        entry["requests"] += counted_requests(row, tpr)
        entry["estimated"] |= row.requests_estimate is not None
        if row.cost_usd is not None:
            entry["cost"] = (entry["cost"] or Decimal(0)) + row.cost_usd
    total = sum(g["requests"] for g in groups.values())
    ranking = [
        {
            "name": name,
            "requests": g["requests"],
            "requests_estimated": g["estimated"],
            "share": g["requests"] / total if total else None,
            "cost_usd": usd_string(g["cost"]),
        }
        for name, g in sorted(groups.items(), key=lambda item: -item[1]["requests"])
    ]
    days, covered = coverage(services, scope)
    filters = {**scope.as_json(), "breakdown": dimension}
    data = {
        "since": scope.period.since.isoformat(),
        "until": scope.period.until.isoformat(),
        "days_with_data": days,
        "by": dimension,
        "filters": filters,
        "ranking": ranking,
    }
    if not ranking:
        return Reply("top_users", f"No usage recorded for {scope.describe()}.", data)
    lines = [f"Top {_NAMES[dimension]}s by requests over {scope.describe()} ({covered}):"]
    for place, entry in enumerate(ranking[:shown], start=1):
        spend = f", {usd_display(Decimal(entry['cost_usd']))}" if entry["cost_usd"] else ""
        mark = " ~" if entry["requests_estimated"] else ""
        lines.append(
            f"{place}. {entry['name']} — {entry['requests']:,}{mark} requests "
            f"({entry['share']:.0%}){spend}"
        )
    unknown = next((e for e in ranking if e["name"] == NOT_IDENTIFIED), None)
    if unknown is not None:
        lines.append(
            f"{unknown['share']:.0%} of requests are not identified by {_NAMES[dimension]}: the "
            "sources do not say (map them with `golocal attribute set`)."
        )
    return Reply("top_users", "\n".join(lines), data)


INTENTS = [answer_top_users]
