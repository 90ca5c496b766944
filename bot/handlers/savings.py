"""The savings intent: "how much would we save?", "what is the payback?", "the 3-year TCO?".

Answers from the same assessment as the verdict (so the two never disagree): the monthly
cost of today, cloud-only, local-only and hybrid, the best option's saving against today,
the payback of any purchase and the three-year total cost of ownership.
"""

from __future__ import annotations

from golocal.bot.chat import intent
from golocal.bot.handlers.advisor import data_note, evidence_for
from golocal.bot.handlers.verdict_lines import best_text, hardware_line, options_text
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.jobs.framework import assess
from golocal.jobs.money import usd_display
from golocal.jobs.options import Option


def _payback(option: Option) -> str:
    if not option.purchase:
        return f"{option.name}: no purchase"
    when = (
        f"pays back in {option.payback_months:g} months"
        if option.payback_months is not None
        else "never pays back at today's volume"
    )
    return f"{option.name}: {usd_display(option.purchase)} purchase, {when}"


@intent("savings")
def answer_savings(question: str, services: Services) -> Reply:
    """What the cheapest option saves a month, its payback and the three-year TCO."""
    result = assess(evidence_for(services), services.settings)
    if result.options is None:
        text = (
            "No savings figure yet: " + "; ".join(result.missing or ["no cloud price"]) + ".\n"
        ) + data_note(result)
        return Reply("savings", text, result.as_json())
    options = result.options
    lines = [
        f"Best option: {best_text(options)} against today's "
        f"{usd_display(options.today.monthly)}/month.",
        f"A month: {options_text(options)}.",
        "Payback: " + "; ".join(_payback(o) for o in (options.local, options.hybrid)) + ".",
        "3-year TCO: " + " · ".join(f"{o.name} {usd_display(o.tco)}" for o in options.all) + ".",
    ]
    infeasible = [f"{o.name} ({o.why_not})" for o in options.all if not o.feasible]
    if infeasible:
        lines.append("Not an option as measured: " + "; ".join(infeasible) + ".")
    if line := hardware_line(result):
        lines.append(line)
    lines.append(data_note(result))
    return Reply("savings", "\n".join(lines), result.as_json())


INTENTS = [answer_savings]
