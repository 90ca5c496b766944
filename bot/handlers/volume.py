"""The volume intent: "how many requests per day?", "volume", "usage this week"."""

from __future__ import annotations

from datetime import date

from golocal.bot.chat import intent
from golocal.bot.handlers.wording import day_span
from golocal.bot.periods import asked_period, open_day, with_reading
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.models import DEMO_PREFIX
from golocal.db.outcomes import server_outcome_days
from golocal.jobs.ledger_read import ledger_volume_report, load_ledger
from golocal.jobs.volume import Outcomes, VolumeReport, volume_zone


def volume_report(
    services: Services, since: date, until: date, *, open_day: date | None = None
) -> VolumeReport:
    """The volume report for a range of UTC days, from the ledger.

    ``open_day``: a day still running (today) to leave out of the mean per day.
    """
    ledger = load_ledger(services.database, services.settings, since, until)
    outcomes = server_outcome_days(services.database, since, until)
    return ledger_volume_report(ledger, services.settings, open_day=open_day, outcomes=outcomes)


@intent("volume")
def answer_volume(question: str, services: Services) -> Reply:
    """Requests per day over the period the question names (default: the volume window)."""
    period, reading = asked_period(question, services)
    report = volume_report(services, period.since, period.until, open_day=open_day(period))
    data = report.as_json()
    data["period"] = period.to_json(report.days_with_data)
    data["filters"] = {"breakdown": "day"}  # the answer is per day by nature
    coverage = period.coverage_text(report.days_with_data)
    if not report.days_with_data:
        empty = (
            f"No usage data for {period.label}, {day_span(period.since, period.until)}, yet. "
            "Run `golocal demo` for synthetic data, or configure a source and "
            "run `golocal collect`."
        )
        return Reply("volume", with_reading(reading, empty), data)
    thresholds = services.settings.thresholds
    mean = report.mean_requests_per_day
    zone = volume_zone(mean, thresholds.cloud_ok_below, thresholds.run_cost_model_above)
    data["zone"] = zone.value
    peak = report.peak
    assert peak is not None
    cloud = report.mean_cloud_requests_per_day
    local = report.mean_local_requests_per_day
    low, high = thresholds.cloud_ok_below, thresholds.run_cost_model_above
    advice = {
        "below": f"under {low:,}/day: cloud is probably fine",
        "between": f"{low:,}–{high:,}/day: whether local pays depends on the hardware "
        "(ask “break-even”)",
        "above": f"over {high:,}/day: run the local cost model (ask “should we go local?”)",
    }[zone.value]
    span = f"{period.label}, {day_span(period.since, period.until)}"
    split = f"cloud {cloud:,.0f}, local {local:,.0f}"
    if len(report.days) == 1:
        head = f"Requests {span}: {peak.requests:,} ({split})."
    elif not report.mean_days:
        head = f"Requests over {span}: {report.total_requests:,} so far today, no complete day yet."
    else:
        head = (
            f"Requests per day over {span}: mean {mean:,.0f} ({split}; over "
            f"{len(report.mean_days)} complete day(s) with data), "
            f"peak {peak.requests:,} on {peak.day:%a %Y-%m-%d}."
        )
    lines = [head, f"Coverage: {coverage}.", f"Zone: {zone.value} — {advice}."]
    if outcome_line := local_outcome_line(report.outcomes):
        lines.append(outcome_line)
    notes = []
    if report.requests_estimated:
        notes.append("some request counts are estimated from tokens (a source reports no count)")
    if any(name.startswith(DEMO_PREFIX) for day in report.days for name in day.by_source):
        notes.append("includes synthetic demo data (`golocal demo --clear` removes it)")
    if notes:
        lines.append("Note: " + "; ".join(notes) + ".")
    return Reply("volume", with_reading(reading, "\n".join(lines)), data)


def local_outcome_line(outcomes: Outcomes) -> str | None:
    """One line on local servers' aborted and failed requests, when any happened."""
    aborted, failed = outcomes.aborted_requests, outcomes.failed_requests
    if not aborted and not failed:
        return None
    parts = []
    if aborted is not None:
        parts.append(f"{aborted:,} aborted by the client (counted as requests)")
    if failed is None:
        parts.append("failures not reported")
    else:
        rate = outcomes.error_rate
        parts.append(
            f"{failed:,} failed (not counted"
            + ("" if rate is None else f"; error rate {rate:.2%}")
            + ")"
        )
    return "Local servers: " + ", ".join(parts) + "."


INTENTS = [answer_volume]
