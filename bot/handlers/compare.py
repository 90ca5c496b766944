"""The comparison intent: the guide's seven dimensions, filled with the team's own figures.

Each dimension says what the cloud and local sides look like and whether the figure is
``measured`` (from this team's data), ``declared`` (from the checklist) or ``typical`` (the
guide's figure, where the team has no data of its own).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from golocal.bot.chat import intent
from golocal.bot.handlers.advisor import data_note, evidence_for, per_request_text
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.jobs.checkpoints import incidents_text
from golocal.jobs.costmodel import DAYS_PER_MONTH
from golocal.jobs.evidence import Evidence
from golocal.jobs.framework import Assessment, assess
from golocal.jobs.money import usd_display


def _row(dimension: str, cloud: str, local: str, source: str) -> dict[str, str]:
    return {"dimension": dimension, "cloud": cloud, "local": local, "source": source}


def _cost(result: Assessment) -> dict[str, str]:
    monthly_requests = Decimal(str(result.mean_per_day)) * DAYS_PER_MONTH
    if monthly_requests > 0:
        amortised = usd_display(result.local.total / monthly_requests)
        marginal = usd_display(result.local.marginal / monthly_requests)
        local = f"{amortised}/request amortised ({marginal} marginal) at your volume"
    else:
        local = f"{usd_display(result.local.total)}/month ({result.local.profile})"
    cloud = per_request_text(result)
    source = "measured" if result.cost_per_request is not None else "typical"
    return _row("cost", cloud, local, source)


def _latency(result: Assessment, evidence: Evidence) -> dict[str, str]:
    """Time to first token against the cloud's first-token figure, like for like."""
    latency = result.latency
    low, high = latency["cloud"]["range_ms"]
    cloud = f"typically {low}–{high} ms to the first token (typical, not measured)"
    if latency.get("local_ttft_p50_ms") is not None:
        local = (
            f"time to first token p50 {latency['local_ttft_p50_ms']:,} ms, p95 "
            f"{latency['local_ttft_p95_ms']:,} ms over {latency['local_ttft_requests']:,} "
            "requests (measured)"
        )
        return _row("latency", cloud, local, "measured") | {"cloud_source": "typical"}
    if evidence.latency is not None:
        ms = evidence.latency.mean_seconds * 1000
        local = (
            f"{ms:,.0f} ms mean end-to-end over {evidence.latency.requests:,} requests "
            "(measured; no time-to-first-token histogram, so not comparable with the cloud's)"
        )
        return _row("latency", cloud, local, "measured") | {"cloud_source": "typical"}
    return _row("latency", cloud, "under 50 ms (typical)", "typical")


def _ip_risk(result: Assessment) -> dict[str, str]:
    share = result.facts.sensitive_cloud_share
    tagged = result.point("code_location").source != "default"
    if share is not None and tagged:
        cloud = f"{share:.0%} of cloud requests came from regulated/proprietary projects"
        return _row("IP risk", cloud, "code never leaves your network", "measured")
    return _row(
        "IP risk", "code is sent to the provider", "code never leaves your network", "typical"
    )


def _compliance(result: Assessment) -> dict[str, str]:
    point = result.point("code_location")
    source = "declared" if point.source == "declared" else "typical"
    return _row("compliance", "the vendor certifies", "your team owns the surface", source) | (
        {"note": point.evidence} if source == "declared" else {}
    )


def _maintenance(result: Assessment, evidence: Evidence) -> dict[str, str]:
    owner = result.point("ops_owner")
    local = (
        f"drivers, models, hardware; {incidents_text(evidence.gpu_incidents)} in the window; "
        f"{result.local.operator_hours} operator h/month ({usd_display(result.local.operator_usd)})"
    )
    if owner.source == "declared":
        local += f"; {owner.evidence.split(';')[0]}"
    source = "measured" if evidence.gpu is not None else "typical"
    return _row("maintenance", "none", local, source)


def _model_choice(result: Assessment) -> dict[str, str]:
    share = result.facts.frontier_share
    if share is None:
        return _row("model choice", "largest frontier models", "7B–30B open models", "typical")
    cloud = f"largest frontier models ({share:.0%} of your cloud requests went to one)"
    return _row("model choice", cloud, "7B–30B open models", "measured")


def _burst(result: Assessment) -> dict[str, str]:
    if result.capacity is None or not result.peak_per_day:
        return _row("burst capacity", "unbounded", "bounded by the hardware", "typical")
    local = (
        f"{result.capacity:,}/day on {result.local.profile} vs your peak "
        f"{result.peak_per_day:,}/day"
    )
    return _row("burst capacity", "unbounded", local, "measured")


def comparison(result: Assessment, evidence: Evidence) -> list[dict[str, Any]]:
    """The seven dimensions, each with cloud, local and where the figure came from."""
    return [
        _cost(result),
        _latency(result, evidence),
        _ip_risk(result),
        _compliance(result),
        _maintenance(result, evidence),
        _model_choice(result),
        _burst(result),
    ]


@intent("compare")
def answer_compare(question: str, services: Services) -> Reply:
    """The seven-dimension comparison with the team's own figures where they exist."""
    evidence = evidence_for(services)
    result = assess(evidence, services.settings)
    rows = comparison(result, evidence)
    lines = ["Cloud vs local, with your figures where we have them:"]
    for row in rows:
        lines.append(
            f"• {row['dimension']} [{row['source']}] — cloud: {row['cloud']}; local: {row['local']}"
        )
    lines.append(data_note(result))
    # nested, not spread: chat shows the seven rows (the text), not a verdict card
    data = {"comparison": rows, "assessment": result.as_json()}
    return Reply("compare", "\n".join(lines), data)


INTENTS = [answer_compare]
