"""The GPU intent: "how are our GPUs?", "GPU utilisation", "are the GPUs saturated?"."""

from __future__ import annotations

import re

from golocal.bot.chat import intent
from golocal.bot.handlers.wording import day_span
from golocal.bot.periods import period_in
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.jobs.gpu_report import build_gpu_report

#: Above this share of GPU-minutes saturated, "are we saturated?" is answered yes.
SATURATED_SHARE = 0.10
#: where the answer's figures come from in detail (a fleet's minutes: from its Prometheus)
MINUTE_DETAIL = (
    "Per GPU and minute: `golocal report gpus --by minute --host HOST` (or `--by hour`)."
)
SATURATION_QUESTION = re.compile(r"\bsaturat|\b(?:at|near) capacity\b|\bmaxed\b", re.I)


def saturation_verdict(share: float | None, saturated: float, minutes: float) -> str:
    """A plain yes/no to "are we saturated?", with the share of time."""
    if share is None:
        return "Unknown — no GPU reported in this period."
    word = "Yes" if share > SATURATED_SHARE else "No"
    return (
        f"{word} — saturated {share:.1%} of the time ({saturated:,.0f} of {minutes:,.0f} "
        f"GPU-minutes at ≥ 90% utilisation and memory; “yes” means over {SATURATED_SHARE:.0%})."
    )


@intent("gpus")
def answer_gpus(question: str, services: Services) -> Reply:
    """Fleet-wide GPU figures over the period the question names (default: the window)."""
    today = services.now().date()
    period = period_in(question, today, services.settings.volume.window_days)
    report = build_gpu_report(services.database, period.since, period.until)
    data = report.as_json()
    if not report.gpus:
        unknown = "Unknown — " if SATURATION_QUESTION.search(question) else ""
        return Reply(
            "gpus",
            f"{unknown}No local GPU telemetry for {period.label}. Configure `[[gpu_agents]]` or "
            "`[[prometheus]]` (or run `golocal agent` on each node) and `golocal collect`; "
            "`golocal demo` loads synthetic data.",
            data,
        )
    gpus = data["gpus"]
    reporting = [g for g in gpus if g["minutes"]]
    means = [g["util_mean_percent"] for g in reporting if g["util_mean_percent"] is not None]
    peaks = [g["util_peak_percent"] for g in reporting if g["util_peak_percent"] is not None]
    saturated = sum(g["saturated_minutes"] or 0 for g in gpus)
    throttled = sum(g["throttled_minutes"] or 0 for g in gpus)
    hosts = sorted({g["host"] for g in gpus})
    minutes = sum(g["minutes"] or 0 for g in gpus)
    share = saturated / minutes if minutes else None
    data["saturated_share"] = share
    lines = []
    if SATURATION_QUESTION.search(question):
        lines.append(saturation_verdict(share, saturated, minutes))
    lines += [
        f"GPUs over {period.label}, {day_span(period.since, period.until)}: "
        f"{data['totals']['gpus']} GPU(s) on {len(hosts)} host(s)"
        + (
            f" (split into {data['totals']['mig_instances']} MIG instances)"
            if data["totals"]["mig_instances"]
            else ""
        )
        + f", {len(reporting)} reporting.",
    ]
    if means:
        lines.append(f"Utilisation: mean {sum(means) / len(means):.0f}%, peak {max(peaks):.0f}%.")
    if report.energy_kwh is not None:
        lines.append(f"Energy: {report.energy_kwh:,.1f} kWh.")
    busiest = sorted(
        (g for g in gpus if g["saturated_minutes"]), key=lambda g: -g["saturated_minutes"]
    )[:3]
    if saturated:
        named = ", ".join(
            f"{g['host']} GPU {g['gpu']} ({g['saturated_minutes']:,.0f} min)" for g in busiest
        )
        lines.append(f"Saturated: {saturated:,.0f} GPU-minutes, most on {named}.")
    else:
        lines.append("Saturated: never.")
    if throttled:
        lines.append(f"Throttled (thermal/power): {throttled:,.0f} GPU-minutes.")
    lost = [f"{g['host']} GPU {g['gpu']}" for g in gpus if g["lost"]]
    stale = [f"{g['host']} GPU {g['gpu']}" for g in gpus if g["stale"] and not g["lost"]]
    if lost:
        lines.append("Lost: " + ", ".join(lost) + ".")
    if stale:
        lines.append("Not reporting: " + ", ".join(stale[:5]) + (" …" if len(stale) > 5 else ""))
    lines.append(MINUTE_DETAIL)
    return Reply("gpus", "\n".join(lines), data)


INTENTS = [answer_gpus]
