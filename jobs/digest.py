"""The weekly digest's data (no Slack, no rendering): one ISO week against the thresholds.

:func:`build_digest` returns a :class:`Digest` whose ``data`` is the public JSON contract
(``week``, ``days[]`` with ``cloud_requests``/``local_requests`` and ``zone``, ``warnings[]``,
``spend``, ``gpus``, ``open_alerts``, plus ``trend``, ``budget``, ``sources``); the text,
Block Kit and chart renderers in :mod:`golocal.bot.render` read only that.

Days are UTC days, like every volume figure golocal reports. Money stays ``Decimal`` until
it becomes a decimal string in the JSON; an unknown cost is ``None`` ("unpriced"), never 0.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from golocal.config.settings import Settings
from golocal.db.alerts import firing_incidents, recent_incidents
from golocal.db.database import Database
from golocal.db.models import DEMO_PREFIX
from golocal.db.sources import all_source_states
from golocal.db.windows import gpu_week
from golocal.jobs.evidence import HISTORY_WEEKS
from golocal.jobs.forecast import forecast
from golocal.jobs.ledger import Ledger
from golocal.jobs.ledger_read import ledger_volume_report, load_ledger, month_spend
from golocal.jobs.money import usd_string
from golocal.jobs.reconcile import largest_gap, reconcile
from golocal.jobs.showback import Spend, SpendRow, all_attributions, spend_by
from golocal.jobs.volume import VolumeReport, volume_zone

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

#: Returns the advisor's break-even (requests/day) for a range of days, or ``None``.
BreakEven = Callable[[date, date], float | None]


def parse_week(text: str) -> str:
    """Validate an ISO week ``YYYY-Www`` and return it normalised.

    Raises:
        ValueError: not of that form, or no such week in that year.
    """
    match = _WEEK.match(text.strip().upper())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week such as 2026-W12")
    year, week = int(match[1]), int(match[2])
    if not 2000 <= year <= 2100:  # beyond, week arithmetic leaves the calendar
        raise ValueError(f"{text!r} is outside the weeks golocal handles (2000 to 2100)")
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no week {week}") from None
    return f"{year}-W{week:02d}"


def week_range(week: str) -> tuple[date, date]:
    """Monday of ``week`` and the Monday after it (exclusive)."""
    year, number = int(week[:4]), int(week[6:])
    monday = date.fromisocalendar(year, number, 1)
    return monday, monday + timedelta(days=7)


def week_of(day: date) -> str:
    """The ISO week ``day`` belongs to."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def week_ended(week: str, now: datetime, tz: ZoneInfo) -> bool:
    """Whether ``week`` has ended at ``now`` both in UTC and in the configured zone.

    The digest's days are UTC days: east of UTC the local Monday begins while the UTC
    Sunday is still running (Sydney by 10-11 h, Auckland by 12-13 h), so a week counts as
    complete only once its last UTC day is over too.
    """
    _, next_monday = week_range(week)
    utc_end = datetime.combine(next_monday, time(0), tzinfo=UTC)
    local_end = datetime.combine(next_monday, time(0), tzinfo=tz)
    return now >= max(utc_end, local_end)


def last_complete_week(now: datetime, tz: ZoneInfo) -> str:
    """The newest ISO week that has ended before ``now`` in both UTC and the configured zone."""
    week = week_of(now.astimezone(tz).date() - timedelta(days=7))
    if not week_ended(week, now, tz):
        week = week_of(now.astimezone(tz).date() - timedelta(days=14))
    return week


@dataclass(frozen=True)
class Digest:
    """A built digest: the JSON contract in ``data``."""

    week: str
    data: dict[str, Any]

    @property
    def days(self) -> list[dict[str, Any]]:
        days: list[dict[str, Any]] = self.data["days"]
        return days


def _pct_change(current: Decimal | float | None, previous: Decimal | float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return round(
        float((Decimal(str(current)) - Decimal(str(previous))) / Decimal(str(previous))) * 100, 1
    )


def _spend_lines(current: Spend, previous: Spend) -> list[dict[str, Any]]:
    before = {row.key: row for row in _rows_with_unattributed(previous)}
    lines = []
    for row in _rows_with_unattributed(current):
        prior = before.get(row.key)
        prior_cost = prior.cost_usd if prior else None
        lines.append(
            {
                "name": row.key,
                "cost_usd": usd_string(row.cost_usd),
                "previous_usd": usd_string(prior_cost),
                "change_pct": _pct_change(row.cost_usd, prior_cost),
                "estimated_usd": usd_string(row.estimated_usd),
                "unpriced_buckets": row.unpriced_buckets,
                "requests": row.requests,
                "cost_basis": row.basis.value,
            }
        )
    lines.sort(key=lambda item: Decimal(item["cost_usd"] or 0), reverse=True)
    return lines


def _rows_with_unattributed(spend: Spend) -> list[SpendRow]:
    return [*spend.rows, *([spend.unattributed] if spend.unattributed else [])]


def _spend(
    ledger: Ledger, since: date, until: date, settings: Settings, database: Database
) -> dict[str, Any]:
    """This week's cloud spend against the week before, from the ledger (billed wins)."""
    week, before = ledger.slice(since, until), ledger.slice(since - timedelta(days=7), since)
    attributions = all_attributions(database, settings)
    data: dict[str, Any] = {"currency": "USD"}
    providers = spend_by(week, "provider", attributions)
    old_providers = spend_by(before, "provider", attributions)
    total, old_total = providers.total_usd, old_providers.total_usd
    data["total_usd"] = usd_string(total)
    data["previous_total_usd"] = usd_string(old_total)
    data["change_pct"] = _pct_change(total, old_total)
    data["cost_basis"] = providers.basis.value
    estimated = [r.estimated_usd for r in providers.rows if r.estimated_usd is not None]
    data["estimated_usd"] = usd_string(sum(estimated, Decimal(0))) if estimated else None
    data["unpriced_buckets"] = sum(row.unpriced_buckets for row in providers.rows)
    data["by_provider"] = _spend_lines(providers, old_providers)
    for dimension in ("model", "team"):
        data[f"by_{dimension}"] = _spend_lines(
            spend_by(week, dimension, attributions), spend_by(before, dimension, attributions)
        )
    gap = largest_gap(reconcile(week, settings.reconcile.tolerance_pct))
    data["reconcile"] = {"largest_gap": gap.as_json() if gap else None}
    return data


def _budget(database: Database, settings: Settings, last_day: date, now: datetime) -> Any:
    budget = settings.budget.monthly_usd
    if budget is None:
        return None
    month_start = datetime(last_day.year, last_day.month, 1, tzinfo=UTC)
    days = calendar.monthrange(last_day.year, last_day.month)[1]
    month_end = month_start + timedelta(days=days)
    upto = min(now.astimezone(UTC), month_end)
    first = month_start.date()
    through = min(upto.date() + timedelta(days=1), month_end.date())
    spent = month_spend(database, settings, first, max(through, first + timedelta(days=1)))
    elapsed = Decimal(str(max((upto - month_start).total_seconds(), 1)))
    forecast = (spent * Decimal(days * 86400) / elapsed).quantize(Decimal("0.01"))
    return {
        "month": f"{last_day:%Y-%m}",
        "monthly_usd": usd_string(budget),
        "month_to_date_usd": usd_string(spent),
        "forecast_usd": usd_string(forecast),
        "burn_pct": round(float(spent / budget * 100), 1),
        "forecast_over": forecast > budget,
    }


def _day_rows(report: VolumeReport, settings: Settings) -> list[dict[str, Any]]:
    low, high = settings.thresholds.cloud_ok_below, settings.thresholds.run_cost_model_above
    return [
        {
            "day": day.day.isoformat(),
            "weekday": f"{day.day:%a}",
            "cloud_requests": day.cloud_requests,
            "local_requests": day.local_requests,
            "requests": day.requests,
            "requests_estimated": day.requests_estimated,
            "has_data": day.has_data,
            "zone": volume_zone(day.requests, low, high).value if day.has_data else None,
        }
        for day in report.days
    ]


def _warnings(
    mean: float, peak: int, settings: Settings, break_even: float | None
) -> list[dict[str, Any]]:
    low, high = settings.thresholds.cloud_ok_below, settings.thresholds.run_cost_model_above
    for threshold, level, advice in (
        (high, "run_cost_model", "run the local cost model now"),
        (low, "run_the_numbers", "run the numbers"),
    ):
        for measure, value in (("mean", mean), ("peak", float(peak))):
            if value > threshold or (threshold == low and value >= threshold):
                text = f"{measure} daily volume {value:,.0f} passed {threshold:,}/day: {advice}"
                if break_even is not None:
                    text += f" (break-even {break_even:,.0f}/day vs actual mean {mean:,.0f}/day)"
                return [
                    {
                        "level": level,
                        "measure": measure,
                        "value": round(value, 1),
                        "threshold": threshold,
                        "break_even_requests_per_day": break_even,
                        "message": text + ".",
                    }
                ]
    return []


def _sources(database: Database, settings: Settings, now: datetime) -> dict[str, Any]:
    stale_after = timedelta(minutes=settings.alerts.stale_minutes)
    failing, stale = [], []
    for state in all_source_states(database):
        if state.source.startswith(DEMO_PREFIX):
            continue
        if state.consecutive_failures > 0:
            failing.append(
                {
                    "source": state.source,
                    "last_error": state.last_error,
                    "consecutive_failures": state.consecutive_failures,
                }
            )
        elif state.last_success_at is not None and now - state.last_success_at > stale_after:
            stale.append(
                {"source": state.source, "last_success_at": state.last_success_at.isoformat()}
            )
    return {"failing": failing, "stale": stale}


def build_digest(
    database: Database,
    settings: Settings,
    week: str,
    *,
    now: datetime,
    break_even: BreakEven | None = None,
) -> Digest:
    """Build the digest of ISO ``week`` (see the module docstring for what is in it).

    Args:
        break_even: the advisor's break-even for the week's days, where one is available.
    """
    since, until = week_range(week)
    trend_weeks = settings.digest.trend_weeks
    history_since = since - timedelta(days=7 * trend_weeks)
    # one ledger for the forecast's history, the week and its trend weeks: billed money,
    # one request estimator
    forecast_since = until - timedelta(weeks=HISTORY_WEEKS)
    ledger = load_ledger(database, settings, min(history_since, forecast_since), until)
    report = ledger_volume_report(ledger.slice(since, until), settings)
    days = _day_rows(report, settings)
    zone_days = {"below": 0, "between": 0, "above": 0, "no_data": 0}
    for day in days:
        zone_days[day["zone"] or "no_data"] += 1
    mean = report.mean_requests_per_day
    peak = report.peak
    low, high = settings.thresholds.cloud_ok_below, settings.thresholds.run_cost_model_above

    previous: list[dict[str, Any]] = []
    for back in range(trend_weeks, 0, -1):
        start = since - timedelta(days=7 * back)
        end = start + timedelta(days=7)
        old = ledger_volume_report(ledger.slice(start, end), settings)
        previous.append(
            {
                "week": week_of(start),
                "mean_requests_per_day": round(old.mean_requests_per_day, 1),
                "days_with_data": old.days_with_data,
            }
        )
    known = [w["mean_requests_per_day"] for w in previous if w["days_with_data"]]
    previous_mean = sum(known) / len(known) if known else None

    advisor_break_even = break_even(since, until) if break_even is not None else None
    start_dt = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end_dt = datetime(until.year, until.month, until.day, tzinfo=UTC)
    gpus = gpu_week(database, start_dt, end_dt)
    # priced like the advisor's cost model: the electricity price times the room's PUE
    price = settings.advisor.electricity_usd_per_kwh * settings.advisor.pue
    energy_cost = (
        (Decimal(str(round(gpus.energy_kwh, 6))) * price).quantize(Decimal("0.0001"))
        if gpus.energy_kwh is not None
        else None
    )
    local_rules = ("gpu_", "server_")
    local_incidents = [
        i
        for i in recent_incidents(database, since=start_dt)
        if i.rule.startswith(local_rules) and i.first_seen < end_dt
    ]
    demo = any(name.startswith(DEMO_PREFIX) for day in report.days for name in day.by_source)
    data: dict[str, Any] = {
        "week": week,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "generated_at": now.isoformat(),
        "thresholds": {"cloud_ok_below": low, "run_cost_model_above": high},
        "days": days,
        "zone_days": zone_days,
        "volume": {
            "mean_requests_per_day": round(mean, 1),
            "peak_requests": peak.requests if peak else None,
            "peak_day": peak.day.isoformat() if peak else None,
            "zone": volume_zone(mean, low, high).value if report.days_with_data else None,
            "days_with_data": report.days_with_data,
            "requests_estimated": report.requests_estimated,
        },
        "forecast": forecast(
            ledger_volume_report(ledger.slice(forecast_since, until), settings),
            until,
            (low, high),
        ).as_json(),
        "trend": {
            "previous_weeks": previous,
            "previous_mean_requests_per_day": (
                None if previous_mean is None else round(previous_mean, 1)
            ),
            "change_pct": _pct_change(mean, previous_mean) if report.days_with_data else None,
        },
        "break_even_requests_per_day": advisor_break_even,
        "warnings": _warnings(mean, peak.requests if peak else 0, settings, advisor_break_even),
        "spend": _spend(ledger, since, until, settings, database),
        "budget": _budget(database, settings, until - timedelta(days=1), now),
        "gpus": {
            "count": gpus.gpus,
            "gpu_hours": gpus.hours,
            "util_mean_pct": None if gpus.util_mean is None else round(gpus.util_mean, 1),
            "energy_kwh": None if gpus.energy_kwh is None else round(gpus.energy_kwh, 3),
            "energy_cost_usd": usd_string(energy_cost),
            "saturated_minutes": round(gpus.saturated_minutes, 1),
            "throttled_minutes": round(gpus.throttled_minutes, 1),
            "temp_max_c": gpus.temp_max_c,
            "lost": gpus.lost,
            "incidents": len(local_incidents),
        },
        "open_alerts": [incident.as_json() for incident in firing_incidents(database)],
        "sources": _sources(database, settings, now),
        "demo_data": demo,
    }
    return Digest(week, data)
