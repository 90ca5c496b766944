"""Sentences of the verdict about hardware and money: the GPUs priced, the options, the saving."""

from __future__ import annotations

from decimal import Decimal

from golocal.jobs.forecast import MIN_WEEKS, Crossing
from golocal.jobs.framework import Assessment
from golocal.jobs.money import usd_display
from golocal.jobs.options import Options


def per_request_text(result: Assessment) -> str:
    """The cloud price of a request, or that there is none yet."""
    if result.cost_per_request is None:
        return "not priced yet"
    return f"{usd_display(result.cost_per_request)}/request"


def hardware_line(result: Assessment) -> str:
    """One line: which GPUs, where they came from, what they cost and carry."""
    hardware = result.hardware
    if hardware is None:
        return ""
    capacity = ""
    if hardware.capacity is not None:
        capacity = f"carries {hardware.capacity:,} requests/day"
        if hardware.model_text:
            capacity += f" of {hardware.model_text} at {hardware.target_utilisation:.0%} load" + (
                f" ({hardware.calibration})" if hardware.calibration else " (physics)"
            )
    if hardware.source == "measured":
        hosts = f" on {hardware.hosts:,} host" + ("" if hardware.hosts == 1 else "s")
        busy = (
            f", mean utilisation {hardware.util_mean:.0%}" if hardware.util_mean is not None else ""
        )
        text = f"Hardware: your {hardware.label}{hosts} (from telemetry, owned{busy})"
    elif hardware.source == "recommended":
        text = (
            f"Hardware: recommended purchase {hardware.label} "
            f"({usd_display(hardware.purchase_usd)} with host), the cheapest in the catalogue "
            f"that carries your peak {result.peak_per_day:,}/day"
        )
    else:
        text = (
            f"Hardware: {hardware.name} ({hardware.label}, from the catalogue, "
            f"{usd_display(hardware.purchase_usd)})"
        )
    parts = [text]
    if capacity:
        parts.append(capacity)
    line = "; ".join(parts)
    if hardware.notes:
        line += " — " + "; ".join(hardware.notes[:2])
    return line + "."


def _money(amount: Decimal) -> str:
    return usd_display(amount)


def options_text(options: Options) -> str:
    """ "today $8,239 · cloud only $1,894 · local $7,440 (not feasible) · hybrid $7,938 …"."""
    parts = [f"today {_money(options.today.monthly)}"]
    for option, name in ((options.cloud, "cloud only"), (options.local, "local only")):
        parts.append(f"{name} {_money(option.monthly)}" + ("" if option.feasible else " (n/a)"))
    hybrid = options.hybrid
    parts.append(
        f"hybrid {_money(hybrid.monthly)} ({hybrid.local_share:.0%} local)"
        + ("" if hybrid.feasible else " (n/a)")
    )
    return " · ".join(parts)


def saving_text(options: Options) -> str:
    """The best option, what it saves a month, its payback and three-year TCO."""
    best = options.best
    if best.name == "today":
        return "best: keep today's setup (no option is cheaper)"
    text = f"best: {best.name}, saving {_money(options.monthly_saving)}/month"
    if best.purchase:
        payback = (
            f"pays back in {best.payback_months:g} months"
            if best.payback_months is not None
            else "never pays back"
        )
        text += f" ({_money(best.purchase)} purchase {payback})"
    return text + f"; 3-year TCO {_money(best.tco)} vs {_money(options.today.tco)} today"


def money_line(result: Assessment) -> str:
    """Monthly cost of each option, the best one and its saving; the break-even behind it."""
    per_request = f"cloud {per_request_text(result)}"
    break_even = f"{result.break_even:,}/day" if result.break_even is not None else "n/a"
    tail = (
        f"{per_request}; local {usd_display(result.local.total)}/month on "
        f"{result.local.profile} → break-even {break_even}"
    )
    if result.options is None:
        return f"Cost: {tail}."
    options = result.options
    return f"Money a month: {options_text(options)} → {saving_text(options)}. ({tail}.)"


def best_text(options: Options | None) -> str:
    """ "hybrid, saving $1,234.56/month" (or why there is no saving)."""
    if options is None:
        return "no option priced (no cloud price per request yet)"
    if options.best.name == "today":
        return "today's setup (nothing cheaper)"
    return f"{options.best.name}, saving {_money(options.monthly_saving)}/month"


def best_move(before: Assessment, after: Assessment) -> str:
    """How the best option and its saving move under a what-if."""
    now, was = best_text(after.options), best_text(before.options)
    return f"Best option: {now}" + ("" if now == was else f" (was {was})")


def forecast_line(result: Assessment) -> str:
    """When volume passes the thresholds, the month-end spend, the payback month."""
    trend = result.forecast
    if trend is None:
        return ""
    if not trend.enough:
        return (
            f"Forecast: too little history for a trend ({trend.history_weeks} complete "
            f"week{'s' if trend.history_weeks != 1 else ''} of data; it needs {MIN_WEEKS})."
        )
    parts = [crossing_text(c) for _, c in sorted(trend.crossings.items())]
    if trend.month_end_spend is not None:
        parts.append(
            f"spend at the end of {trend.month} {usd_display(trend.month_end_spend)} "
            f"(80% band {usd_display(trend.month_end_spend_low)}–"
            f"{usd_display(trend.month_end_spend_high)})"
        )
    if trend.payback_month is not None:
        parts.append(f"the purchase pays back in {trend.payback_month}")
    return (
        "Forecast: "
        + "; ".join(parts)
        + f" — linear trend over {trend.history_weeks} weeks, {trend.slope_per_week:+,.0f}/day "
        "per week."
    )


def crossing_text(crossing: Crossing) -> str:
    """ "2,000/day in 2027-W07 (80% band 2027-W03 to 2027-W15)", or why not."""
    name = f"{crossing.threshold:,}/day"
    if crossing.status == "already_above":
        return f"already above {name}"
    if crossing.status == "falling":
        return f"not heading for {name} (volume is flat or falling)"
    if crossing.status == "beyond_horizon":
        return f"{name} not within two years"
    band = (
        f" (80% band {crossing.earliest} to {crossing.latest})"
        if crossing.latest
        else f" (80% band from {crossing.earliest})"
    )
    return f"{name} in {crossing.week}{band}"


def trend_text(result: Assessment) -> str:
    """The forecast in a clause for the Volume line: where the thresholds are crossed."""
    trend = result.forecast
    if trend is None:
        return ""
    if not trend.enough:
        return f"; no trend yet ({trend.history_weeks} of {MIN_WEEKS} weeks of history)"
    crossings = [
        f"{c.threshold:,}/day in {c.week}" for _, c in sorted(trend.crossings.items()) if c.week
    ]
    head = f"; trend {trend.slope_per_week:+,.0f}/day a week"
    return head + (" → " + ", ".join(crossings) if crossings else "")
