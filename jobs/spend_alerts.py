"""Spend alert rules: budgets (global, per team, per provider) and spend anomalies.

Money is the ledger's (billed wins, attribution applied at read time), the same as every
report. Each rule yields :class:`~golocal.jobs.alerts.Condition` values keyed so that one
budget alerts once per month — an incident per budget and month, updated when it goes from
"warning" to "over", resolved when the month ends or the spend falls back — and one anomaly
alerts once per provider/team and day.

* ``budget`` (global ``[budget] monthly_usd``): over the budget (critical), or on course to be
  by the end of the month after ``FORECAST_MIN_DAYS`` days (warning).
* ``budget`` (``[[budgets]]``, a team or a provider): past ``warn_percent`` of the monthly
  budget (warning), over it (critical).
* ``spend_anomaly``: yesterday's (the last complete UTC day's) spend of a provider or a team is
  more than ``[anomaly] factor`` times its median over the ``trailing_days`` before it, and at
  least ``min_usd``. The median is over the days the ledger has data for; a provider or team
  absent on such a day spent $0 that day.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from statistics import median

from golocal.config.settings import BudgetRule, Settings
from golocal.db.attribution import AttributionEntry
from golocal.db.database import Database
from golocal.jobs.alerts import Condition
from golocal.jobs.ledger import Ledger
from golocal.jobs.ledger_read import load_ledger
from golocal.jobs.money import usd_display, usd_string
from golocal.jobs.showback import all_attributions, team_of

#: Days of a month that must have passed before a forecast is trusted.
FORECAST_MIN_DAYS = 3


def spend_conditions(database: Database, settings: Settings, now: datetime) -> list[Condition]:
    """Every budget and anomaly condition at ``now`` (UTC days, the ledger's money)."""
    utc = now.astimezone(UTC)
    today = utc.date()
    month_start = today.replace(day=1)
    trailing = settings.anomaly.trailing_days
    since = min(month_start, today - timedelta(days=trailing + 1))
    ledger = load_ledger(database, settings, since, today + timedelta(days=1))
    attributions = all_attributions(database, settings)
    conditions: list[Condition] = []
    month = ledger.slice(month_start, today + timedelta(days=1))
    if settings.budget.monthly_usd is not None:
        conditions += global_budget(month, settings.budget.monthly_usd, utc)
    for rule in settings.budgets:
        conditions += scoped_budget(month, rule, attributions, today)
    if settings.anomaly.enabled:
        conditions += anomalies(ledger, settings, attributions, today)
    return conditions


def global_budget(month: Ledger, budget: Decimal, now: datetime) -> list[Condition]:
    """The organisation's monthly budget: over it, or forecast over it."""
    spent = month.cloud_total() or Decimal(0)
    label = f"{now:%Y-%m}"
    details = {"month": label, "budget_usd": usd_string(budget), "spent_usd": usd_string(spent)}
    if spent > budget:
        summary = (
            f"Cloud spend {usd_display(spent)} this month is over the budget of "
            f"{usd_display(budget)}."
        )
        return [Condition("budget", f"{label}:spent", "critical", summary, details, "spent")]
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    elapsed = (now - month_start).total_seconds()
    if elapsed < FORECAST_MIN_DAYS * 86400:
        return []
    days_in_month = calendar.monthrange(now.year, now.month)[1]
    forecast = (spent * Decimal(days_in_month * 86400) / Decimal(elapsed)).quantize(Decimal("0.01"))
    if forecast > budget:
        summary = (
            f"Cloud spend is on course for {usd_display(forecast)} this month, over the budget "
            f"of {usd_display(budget)} ({usd_display(spent)} so far)."
        )
        details["forecast_usd"] = usd_string(forecast)
        return [Condition("budget", f"{label}:forecast", "warning", summary, details, "forecast")]
    return []


def _spend_of(
    ledger: Ledger, rule: BudgetRule, attributions: Sequence[AttributionEntry]
) -> Decimal:
    total = Decimal(0)
    for entry in ledger.cloud():
        if entry.cost_usd is None:
            continue
        if rule.provider is not None and entry.provider != rule.provider:
            continue
        if rule.team is not None and team_of(entry, attributions) != rule.team:
            continue
        total += entry.cost_usd
    return total


def scoped_budget(
    month: Ledger, rule: BudgetRule, attributions: Sequence[AttributionEntry], today: date
) -> list[Condition]:
    """A team's or provider's monthly budget: past its warning share (warning), over (critical)."""
    spent = _spend_of(month, rule, attributions)
    share = spent / rule.monthly_usd * 100
    if share < rule.warn_percent:
        return []
    label = f"{today:%Y-%m}"
    over = spent > rule.monthly_usd
    name = rule.scope.replace(":", " ", 1)
    state = "over" if over else f"at {share:.0f}% of"
    summary = (
        f"Cloud spend of {name} is {usd_display(spent)} this month, {state} its budget of "
        f"{usd_display(rule.monthly_usd)}."
    )
    details = {
        "month": label,
        "scope": rule.scope,
        "budget_usd": usd_string(rule.monthly_usd),
        "spent_usd": usd_string(spent),
        "percent": round(float(share), 1),
        "warn_percent": float(rule.warn_percent),
    }
    severity = "critical" if over else "warning"
    # one incident per budget and month; going from warning to over is an update of it
    key = f"{rule.scope}:{label}"
    return [Condition("budget", key, severity, summary, details, "over" if over else "warn")]


def daily_spend(
    ledger: Ledger, dimension: str, attributions: Sequence[AttributionEntry]
) -> dict[str, dict[date, Decimal]]:
    """Per provider (or team) and day, the cloud money of the ledger."""
    spend: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in ledger.cloud():
        if entry.cost_usd is None:
            continue
        name = entry.provider if dimension == "provider" else team_of(entry, attributions)
        if name:
            spend[name][entry.day] += entry.cost_usd
    return spend


def anomalies(
    ledger: Ledger, settings: Settings, attributions: Sequence[AttributionEntry], today: date
) -> list[Condition]:
    """Yesterday's spend per provider and team against its trailing median."""
    cfg = settings.anomaly
    day = today - timedelta(days=1)
    window = [day - timedelta(days=back) for back in range(cfg.trailing_days, 0, -1)]
    days_with_data = {entry.day for entry in ledger.entries}
    observed = [d for d in window if d in days_with_data]
    conditions = []
    if len(observed) < 7:  # too little history for a median worth alerting on
        return []
    for dimension in ("provider", "team"):
        for name, by_day in sorted(daily_spend(ledger, dimension, attributions).items()):
            spent = by_day.get(day, Decimal(0))
            if spent < cfg.min_usd or spent <= 0:
                continue
            typical = Decimal(median([by_day.get(d, Decimal(0)) for d in observed]))
            if spent <= typical * cfg.factor:
                continue
            times = f"{spent / typical:.1f}×" if typical else "against"
            summary = (
                f"{dimension.capitalize()} {name} spent {usd_display(spent)} on {day} — "
                f"{times} its {cfg.trailing_days}-day median of {usd_display(typical)}."
            )
            details = {
                "dimension": dimension,
                "name": name,
                "day": day.isoformat(),
                "spent_usd": usd_string(spent),
                "median_usd": usd_string(typical),
                "factor": float(cfg.factor),
            }
            key = f"{dimension}:{name}:{day.isoformat()}"
            conditions.append(Condition("spend_anomaly", key, "warning", summary, details))
    return conditions
