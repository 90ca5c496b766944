"""The advisor's intents: "should we go local?", what-if, break-even and cost.

Each handler gathers the window's evidence once (a few SQL aggregates), runs the pure
framework and renders a reply a person reads in ten seconds, naming the data it stands on;
``Reply.data`` carries the full assessment (the ``golocal ask --json`` contract).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from golocal.bot.chat import intent
from golocal.bot.handlers.verdict_lines import (
    best_move,
    hardware_line,
    money_line,
    per_request_text,
    trend_text,
)
from golocal.bot.handlers.wording import day_span
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.bot.whatif import parse_what_if
from golocal.db.models import DEMO_PREFIX
from golocal.jobs.evidence import Evidence, gather_evidence
from golocal.jobs.framework import Assessment, Verdict, assess
from golocal.jobs.money import usd_display


def evidence_for(services: Services) -> Evidence:
    """The evidence over the configured window ending today (UTC)."""
    return gather_evidence(services.database, services.settings, services.now().date())


def _verdict_word(verdict: Verdict) -> str:
    return verdict.value.replace("_", " ")


def data_note(result: Assessment) -> str:
    """One line naming the data an answer stands on: days, sources, profile, estimates."""
    span = day_span(date.fromisoformat(result.since), date.fromisoformat(result.until))
    parts = [
        f"{result.days_with_data} of {result.window_days} days, {span}",
        "sources " + (", ".join(result.sources) if result.sources else "none"),
        f"profile {result.local.profile} (energy {result.local.energy_source})",
    ]
    estimated = []
    if result.volume_estimated:
        estimated.append("some request counts from tokens")
    if result.facts.spend_estimated:
        estimated.append("some cloud cost from a price table")
    if estimated:
        parts.append("estimated: " + ", ".join(estimated))
    if result.facts.unpriced_models:
        parts.append("unpriced: " + ", ".join(result.facts.unpriced_models[:3]))
    if any(name.startswith(DEMO_PREFIX) for name in result.sources):
        parts.append("includes synthetic demo data")
    return "Data: " + " · ".join(parts) + "."


def checklist_line(result: Assessment) -> str:
    """The five points and which way each leans; declared and unanswered ones marked."""
    marks = {"measured": "", "declared": " (declared)", "default": " (not declared)"}
    return (
        "Checklist: "
        + ", ".join(
            f"{p.id.replace('_', ' ')} → {p.leans}{marks[p.source]}" for p in result.checklist
        )
        + "."
    )


def verdict_text(result: Assessment) -> str:
    """The verdict reply: verdict and why, volume, cost, the five points, what would change."""
    if result.verdict is Verdict.INSUFFICIENT_DATA:
        # What is missing is also what would change it: said once, on the first line (the
        # line chat cards and the App Home show).
        lines = [f"Verdict: INSUFFICIENT DATA — no guess without {' and '.join(result.missing)}."]
    else:
        lines = [f"Verdict: {_verdict_word(result.verdict).upper()} — {'; '.join(result.reasons)}."]
    if result.zone is not None:
        share = "" if result.cloud_share is None else f", {result.cloud_share:.0%} cloud"
        lines.append(
            f"Volume: mean {result.mean_per_day:,.0f}/day, peak {result.peak_per_day:,}/day"
            f"{share} — zone {result.zone.value}{trend_text(result)}."
        )
    if line := hardware_line(result):
        lines.append(line)
    lines.append(money_line(result))
    lines.append(checklist_line(result))
    if result.what_would_change and result.verdict is not Verdict.INSUFFICIENT_DATA:
        lines.append("Would change it: " + "; ".join(result.what_would_change) + ".")
    lines.append(data_note(result))
    return "\n".join(lines)


@intent("what_if")
def answer_what_if(question: str, services: Services) -> Reply:
    """Rerun the framework with the changes the question names and say how the answer moves."""
    advisor = services.settings.advisor
    parsed = parse_what_if(question, advisor)
    if parsed.problems or not parsed.scenario.changed:
        return _what_if_not_understood(parsed.understood, parsed.problems, sorted(advisor.profiles))
    evidence = evidence_for(services)
    before = assess(evidence, services.settings)
    after = assess(evidence, services.settings, parsed.scenario)
    if before.verdict is after.verdict:
        move = f"verdict stays {_verdict_word(after.verdict).upper()}"
    else:
        move = (
            f"verdict moves from {_verdict_word(before.verdict)} to "
            f"{_verdict_word(after.verdict).upper()}"
        )
    local = f"Local {after.local.profile} {usd_display(after.local.total)}/month"
    if before.local.total != after.local.total:
        was_on = (
            "" if before.local.profile == after.local.profile else f" on {before.local.profile}"
        )
        local += f" (was {usd_display(before.local.total)}{was_on})"
    cloud = f"cloud {per_request_text(after)}"
    if before.cost_per_request != after.cost_per_request:
        cloud += f" (was {per_request_text(before)})"
    lines = [
        f"What if {', '.join(parsed.understood)}: {move}.",
        (
            "Still missing: " + "; ".join(after.missing)
            if after.missing
            else "Why: " + "; ".join(after.reasons)
        )
        + ".",
        f"{local}; {cloud}.",
        best_move(before, after) + ".",
        *(
            [f"Note: {'; '.join(after.hardware.notes)}."]
            if after.hardware and after.hardware.notes
            else []
        ),
        _move("Break-even", before.break_even, after.break_even)
        + " · "
        + _move("capacity", before.capacity, after.capacity)
        + ".",
        data_note(after),
    ]
    # The assessment is nested, not spread: this reply is about how the answer moves, and
    # chat shows it as its text rather than as a verdict card.
    data = {
        "understood": parsed.understood,
        "problems": [],
        "before": {
            "verdict": before.verdict.value,
            "break_even_requests_per_day": before.break_even,
            "best_option": None if before.options is None else before.options.best.name,
            "monthly_saving_usd": None
            if before.options is None
            else str(before.options.monthly_saving),
        },
        "assessment": after.as_json(),
    }
    return Reply("what_if", "\n".join(lines), data)


def _what_if_not_understood(
    understood: list[str], problems: list[str], profiles: list[str]
) -> Reply:
    """What a what-if was read as, what is wrong with it, and questions that work."""
    if problems:
        head = "I can't rerun that: " + "; ".join(problems) + "."
        if understood:
            head += " (I did understand: " + ", ".join(understood) + ".)"
    else:
        head = "I read a what-if but found no change I can model in it."
    text = (
        f"{head}\nTry e.g. “what if we had 3,000 requests a day?”, “what if we bought an "
        "8xH100 node?”, “what if cloud prices rose 30%?” or “what if electricity cost 0.25?”."
    )
    data = {"understood": understood, "problems": problems, "profiles": profiles}
    return Reply("what_if", text, data)


def _move(label: str, before: int | None, after: int | None) -> str:
    def show(value: int | None) -> str:
        return "n/a" if value is None else f"{value:,}/day"

    if before == after:
        return f"{label} {show(after)} (unchanged)"
    return f"{label} {show(before)} → {show(after)}"


@intent("break_even")
def answer_break_even(question: str, services: Services) -> Reply:
    """The break-even volume on the configured profile, against the measured volume."""
    result = assess(evidence_for(services), services.settings)
    lines = []
    if result.break_even is None or result.cost_per_request is None:
        lines.append(
            "No break-even yet: there is no cloud spend to price a request in the last "
            f"{result.window_days} days."
        )
    else:
        position = "above" if result.mean_per_day >= result.break_even else "below"
        # six places, as in the JSON: the figures shown recompute the break-even
        price = result.cost_per_request.quantize(Decimal("0.000001"))
        lines.append(
            f"Break-even on {result.local.profile}: {result.break_even:,} requests/day "
            f"(local {usd_display(result.local.total)}/month ÷ "
            f"(${price:f}/request × 30.4 days)). "
            f"You are {position} it at {result.mean_per_day:,.0f}/day."
        )
    local = result.local
    lines.append(
        f"Local per month: capex {usd_display(local.capex_monthly)} + energy "
        f"{usd_display(local.energy_usd)} ({local.energy_source}) + operator "
        f"{usd_display(local.operator_usd)} + other {usd_display(local.other_usd)}."
    )
    lines.append(data_note(result))
    return Reply("break_even", "\n".join(lines), result.as_json())


@intent("should_we_go_local")
def answer_go_local(question: str, services: Services) -> Reply:
    """The verdict with the five points, the cost model and what would change it."""
    result = assess(evidence_for(services), services.settings)
    if result.verdict is Verdict.INSUFFICIENT_DATA and not result.sources:
        text = verdict_text(result) + (
            "\nRun `golocal demo` for synthetic data, or configure a source and run "
            "`golocal collect`."
        )
        return Reply("should_we_go_local", text, result.as_json())
    return Reply("should_we_go_local", verdict_text(result), result.as_json())


INTENTS = [answer_what_if, answer_break_even, answer_go_local]
