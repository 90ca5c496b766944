"""The weekly digest as plain text (console, fallback text) and as Slack Block Kit.

Both read only the digest's JSON (:attr:`golocal.jobs.digest.Digest.data`). Blocks stay
inside Slack's limits: at most 50 blocks per message and 3,000 characters per section text.
The text is raw (the console prints it as it is); the block builders and the Slack poster
escape it (:mod:`golocal.bot.render.mrkdwn`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from golocal.jobs.money import display_parts, usd_display

if TYPE_CHECKING:  # slack_sdk is imported when blocks are built, not for the text digest
    from slack_sdk.models.blocks import Block, SectionBlock

MAX_BLOCKS = 50
TOP_LINES = 5


def _money(value: str | None, unknown: str = "unpriced") -> str:
    return usd_display(None if value is None else Decimal(value), unknown=unknown)


def _parts(items: list[dict[str, Any]]) -> list[str]:
    """The top lines and the rest as "N others", rounded so the amounts add up to the total."""
    priced = [item for item in items if item["cost_usd"] is not None]
    if not priced:
        return []
    shown = priced[:TOP_LINES]
    rest = priced[TOP_LINES:]
    amounts = [Decimal(item["cost_usd"]) for item in shown]
    if rest:
        amounts.append(sum((Decimal(item["cost_usd"]) for item in rest), Decimal(0)))
    rounded, _ = display_parts(amounts)
    parts = [
        f"{item['name']} {usd_display(amount)} ({_change(item['change_pct'])})"
        for item, amount in zip(shown, rounded, strict=False)
    ]
    if rest:
        parts.append(f"{len(rest)} others {usd_display(rounded[-1])}")
    return parts


def _change(pct: float | None) -> str:
    if pct is None:
        return "no comparison"
    return f"{pct:+.0f}% w/w"


def title(data: dict[str, Any]) -> str:
    """The one-line headline."""
    return f"golocal weekly digest — {data['week']} ({data['since']} to {data['until']}, UTC)"


def volume_lines(data: dict[str, Any]) -> list[str]:
    """Volume, zone counts, trend and warnings."""
    volume, zones, trend = data["volume"], data["zone_days"], data["trend"]
    if not volume["days_with_data"]:
        return ["No usage data for this week."]
    lines = [
        f"Requests/day: mean {volume['mean_requests_per_day']:,.0f}, peak "
        f"{volume['peak_requests']:,} on {volume['peak_day']} — zone *{volume['zone']}*.",
        f"Days per zone: below {zones['below']}, between {zones['between']}, "
        f"above {zones['above']}"
        + (f", no data {zones['no_data']}" if zones["no_data"] else "")
        + ".",
    ]
    if trend["change_pct"] is not None:
        lines.append(
            f"Trend: {trend['change_pct']:+.0f}% vs the previous {len(trend['previous_weeks'])} "
            f"weeks' mean ({trend['previous_mean_requests_per_day']:,.0f}/day)."
        )
    if data.get("break_even_requests_per_day") is not None:
        lines.append(
            f"Break-even (cost model): {data['break_even_requests_per_day']:,.0f}/day vs actual "
            f"{volume['mean_requests_per_day']:,.0f}/day."
        )
    if line := forecast_text(data.get("forecast")):
        lines.append(line)
    if volume["requests_estimated"]:
        lines.append("Some request counts are estimated from tokens.")
    return lines


def forecast_text(forecast: dict[str, Any] | None) -> str:
    """The forecast in one line: threshold crossings and the month-end spend, with bands."""
    if not forecast:
        return ""
    if not forecast["enough_history"]:
        return (
            f"Forecast: too little history ({forecast['history_weeks']} complete weeks; "
            f"needs {forecast['min_weeks']})."
        )
    parts = []
    for threshold, crossing in forecast["crossings"].items():
        name = f"{int(threshold):,}/day"
        if crossing["status"] == "already_above":
            parts.append(f"already above {name}")
        elif crossing["week"]:
            band = f"{crossing['earliest']}–{crossing['latest'] or 'later'}"
            parts.append(f"{name} in {crossing['week']} (80% band {band})")
        else:
            parts.append(f"not heading for {name}")
    if forecast["month_end_spend_usd"] is not None:
        low, high = forecast["month_end_spend_band_usd"]
        parts.append(
            f"{forecast['month']} spend {_money(forecast['month_end_spend_usd'])} "
            f"({_money(low)}–{_money(high)})"
        )
    return f"Forecast ({forecast['history_weeks']}-week trend): " + "; ".join(parts) + "."


def day_lines(data: dict[str, Any]) -> list[str]:
    """One line per day: cloud, local, zone."""
    return [
        f"{day['weekday']} {day['day']}: cloud {day['cloud_requests']:,}, local "
        f"{day['local_requests']:,} — {day['zone'] or 'no data'}"
        for day in data["days"]
    ]


def spend_lines(data: dict[str, Any]) -> list[str]:
    """Spend totals, top providers/models/teams, estimated and unpriced parts, budget."""
    spend = data["spend"]
    lines = [
        f"Cloud spend: {_money(spend['total_usd'], 'none recorded')} "
        f"({_change(spend['change_pct'])}; previous week "
        f"{_money(spend['previous_total_usd'], 'none recorded')})."
    ]
    if spend["estimated_usd"] is not None:
        lines.append(f"Of which estimated from a price table: {_money(spend['estimated_usd'])}.")
    if spend["unpriced_buckets"]:
        lines.append(
            f"Unpriced: {spend['unpriced_buckets']:,} usage buckets have no known cost and are "
            "not in the totals."
        )
    for dimension in ("provider", "model", "team"):
        parts = _parts(spend[f"by_{dimension}"])
        if parts:
            lines.append(f"By {dimension}: " + "; ".join(parts) + ".")
    gap = (spend.get("reconcile") or {}).get("largest_gap")
    if gap:
        lines.append(
            f"Largest gap between bill and estimate: {gap['provider']} on {gap['day']}, billed "
            f"{_money(gap['billed_usd'])} vs estimated {_money(gap['estimated_usd'])} "
            f"({gap['difference_pct']:+.1f}%): `golocal report reconcile`."
        )
    budget = data.get("budget")
    if budget:
        lines.append(
            f"Budget {budget['month']}: {_money(budget['month_to_date_usd'])} of "
            f"{_money(budget['monthly_usd'])} ({budget['burn_pct']:.0f}%), forecast "
            f"{_money(budget['forecast_usd'])}"
            + (" — over budget." if budget["forecast_over"] else ".")
        )
    return lines


def local_lines(data: dict[str, Any]) -> list[str]:
    """GPU utilisation, energy, saturation, throttling, incidents."""
    gpus = data["gpus"]
    if not gpus["count"]:
        return ["No local GPU telemetry this week."]
    energy = "energy not reported"
    if gpus["energy_kwh"] is not None:
        energy = f"energy {gpus['energy_kwh']:,.1f} kWh"
        if gpus["energy_cost_usd"] is not None:
            energy += f" ({_money(gpus['energy_cost_usd'])})"
    util = "n/a" if gpus["util_mean_pct"] is None else f"{gpus['util_mean_pct']:.0f}%"
    return [
        f"{gpus['count']} GPUs: mean utilisation {util}, {energy}.",
        f"Saturated {gpus['saturated_minutes']:,.0f} GPU-minutes, throttled "
        f"{gpus['throttled_minutes']:,.0f} GPU-minutes, hottest "
        f"{gpus['temp_max_c'] or 0:.0f} °C, incidents {gpus['incidents']}"
        + (f", lost GPUs {gpus['lost']}" if gpus["lost"] else "")
        + ".",
    ]


def health_lines(data: dict[str, Any]) -> list[str]:
    """Open alerts and failing/stale sources."""
    lines = [f"Open alert: {alert['summary']}" for alert in data["open_alerts"][:TOP_LINES]]
    if len(data["open_alerts"]) > TOP_LINES:
        lines.append(f"… and {len(data['open_alerts']) - TOP_LINES} more open alerts.")
    for item in data["sources"]["failing"]:
        lines.append(f"Source failing: {item['source']} ({item['last_error'] or 'no reason'}).")
    for item in data["sources"]["stale"]:
        lines.append(f"Source stale: {item['source']} (last success {item['last_success_at']}).")
    return lines or ["No open alerts; every source is reporting."]


def digest_text(data: dict[str, Any]) -> str:
    """The digest as plain text (console mode, ``--format text``, Slack's fallback)."""
    parts = [title(data), ""]
    parts += [f"WARNING: {warning['message']}" for warning in data["warnings"]]
    parts += [*volume_lines(data), "", *day_lines(data), ""]
    parts += [*spend_lines(data), "", *local_lines(data), "", *health_lines(data)]
    if data.get("demo_data"):
        parts += ["", "Includes synthetic demo data (`golocal demo --clear` removes it)."]
    return "\n".join(parts)


def _section(lines: list[str]) -> SectionBlock:
    from golocal.bot.render.blocks import section

    return section("\n".join(lines))


def digest_blocks(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The digest as Block Kit blocks (dicts), within Slack's limits."""
    from slack_sdk.models.blocks import DividerBlock

    from golocal.bot.render.blocks import context, header

    blocks: list[Block] = [header(f"Weekly digest {data['week']}")]
    blocks.append(context(f"{data['since']} to {data['until']} (exclusive), UTC days"))
    for warning in data["warnings"]:
        blocks.append(_section([f":warning: *{warning['message']}*"]))
    blocks += [_section(volume_lines(data)), _section(day_lines(data)), DividerBlock()]
    blocks += [_section(["*Spend*", *spend_lines(data)]), DividerBlock()]
    blocks += [_section(["*Local GPUs*", *local_lines(data)])]
    blocks += [_section(["*Alerts and sources*", *health_lines(data)])]
    if data.get("demo_data"):
        blocks.append(context("Includes synthetic demo data (`golocal demo --clear` removes it)."))
    return [block.to_dict() for block in blocks[:MAX_BLOCKS]]
