"""Where volume and spend are heading: a weekly trend with its uncertainty.

The measured days are grouped into complete ISO weeks (mean requests a day, spend a day).
A straight line is fitted to each series by least squares (``numpy.polyfit`` with its
covariance); a week's 80 % prediction band is the fitted value ± 1.2816 × √(the fit's
variance at that week + the residual variance). From that:

* the week daily volume is expected to cross 500 and 2,000 (the framework's thresholds) and
  the band of weeks it could cross in (the upper band crosses first, the lower band last);
* the spend at the end of the current month: measured month-to-date + the trend's daily
  spend for the days left, with its band;
* the month a purchase pays back, from the best option's payback.

With fewer than :data:`MIN_WEEKS` complete weeks of data there is no forecast, and the
answer says how many weeks it has. Pure: a volume report in, a :class:`Forecast` out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from golocal.jobs.volume import VolumeReport

#: Complete weeks of data a trend needs (fewer: "too little history").
MIN_WEEKS = 4
#: How far ahead a crossing is looked for.
HORIZON_WEEKS = 104
#: The two-sided 80 % normal quantile.
Z80 = 1.2816
METHOD = (
    "least-squares linear trend of weekly means (numpy.polyfit), 80% prediction band; "
    "complete ISO weeks only"
)


@dataclass(frozen=True)
class Week:
    """One complete ISO week of measured usage."""

    monday: date
    requests_per_day: float
    spend_per_day: Decimal | None

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Crossing:
    """When daily volume passes a threshold: expected week and the band of weeks."""

    threshold: int
    #: already_above | crossing | falling | beyond_horizon
    status: str
    week: str | None = None
    earliest: str | None = None
    latest: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "week": self.week,
            "earliest": self.earliest,
            "latest": self.latest,
        }


@dataclass(frozen=True)
class Forecast:
    """The trend of volume and spend, or why there is none."""

    history_weeks: int
    enough: bool
    slope_per_week: float | None = None
    crossings: dict[int, Crossing] = field(default_factory=dict)
    month_end_spend: Decimal | None = None
    month_end_spend_low: Decimal | None = None
    month_end_spend_high: Decimal | None = None
    month: str = ""
    payback_month: str | None = None

    def crossing_week(self, threshold: int) -> str | None:
        crossing = self.crossings.get(threshold)
        return crossing.week if crossing else None

    def as_json(self) -> dict[str, Any]:
        def usd(amount: Decimal | None) -> str | None:
            return None if amount is None else str(amount.quantize(Decimal("0.01")))

        return {
            "crosses_500_per_day_week": self.crossing_week(500),
            "crosses_2000_per_day_week": self.crossing_week(2000),
            "crossings": {str(t): c.as_json() for t, c in sorted(self.crossings.items())},
            "trend_requests_per_day_per_week": None
            if self.slope_per_week is None
            else round(self.slope_per_week, 1),
            "month": self.month or None,
            "month_end_spend_usd": usd(self.month_end_spend),
            "month_end_spend_band_usd": None
            if self.month_end_spend is None
            else [usd(self.month_end_spend_low), usd(self.month_end_spend_high)],
            "purchase_pays_back_month": self.payback_month,
            "method": METHOD,
            "history_weeks": self.history_weeks,
            "enough_history": self.enough,
            "min_weeks": MIN_WEEKS,
        }


def complete_weeks(report: VolumeReport) -> list[Week]:
    """Monday-to-Sunday weeks fully inside the report that have data on some day."""
    by_week: dict[date, list[Any]] = {}
    for day in report.days:
        monday = day.day - timedelta(days=day.day.weekday())
        by_week.setdefault(monday, []).append(day)
    weeks = []
    for monday, days in sorted(by_week.items()):
        if len(days) < 7 or not any(d.has_data for d in days):
            continue
        costs = [d.cost_usd for d in days if d.cost_usd is not None]
        spend = sum(costs, Decimal(0)) / 7 if costs else None
        weeks.append(Week(monday, sum(d.requests for d in days) / 7, spend))
    # leading empty history is not a trend: start at the first week with data
    return weeks


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float, Any, float]:
    """Slope, intercept, their covariance and the residual variance."""
    import numpy as np  # heavy: imported only when a forecast is made

    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    coefficients, covariance = np.polyfit(x, y, 1, cov="unscaled")
    residuals = y - np.polyval(coefficients, x)
    dof = max(1, len(xs) - 2)
    variance = float(residuals @ residuals) / dof
    return float(coefficients[0]), float(coefficients[1]), covariance * variance, variance


def _band(slope: float, intercept: float, cov: Any, resid: float, x: float) -> tuple[float, ...]:
    mean = slope * x + intercept
    fit_var = cov[0][0] * x * x + 2 * cov[0][1] * x + cov[1][1]
    half = Z80 * math.sqrt(max(0.0, float(fit_var) + resid))
    return mean, mean - half, mean + half


def _crossing(
    threshold: int, weeks: list[Week], slope: float, intercept: float, cov: Any, resid: float
) -> Crossing:
    last = weeks[-1]
    if last.requests_per_day >= threshold:
        return Crossing(threshold, "already_above")
    first_monday = weeks[0].monday
    expected = earliest = latest = None
    for ahead in range(1, HORIZON_WEEKS + 1):
        x = len(weeks) - 1 + ahead
        mean, low, high = _band(slope, intercept, cov, resid, x)
        label = Week(first_monday + timedelta(weeks=x), 0, None).label
        earliest = earliest or (label if high >= threshold else None)
        expected = expected or (label if mean >= threshold else None)
        latest = latest or (label if low >= threshold else None)
        if latest:
            break
    if expected is None:
        return Crossing(threshold, "falling" if slope <= 0 else "beyond_horizon", None, earliest)
    return Crossing(threshold, "crossing", expected, earliest, latest)


def forecast(
    report: VolumeReport,
    today: date,
    thresholds: tuple[int, ...] = (500, 2000),
    payback_months: float | None = None,
) -> Forecast:
    """The trend over the report's complete weeks (see the module docstring)."""
    weeks = complete_weeks(report)
    while weeks and weeks[0].requests_per_day == 0:
        weeks = weeks[1:]
    month = today.strftime("%Y-%m")
    payback = None
    if payback_months is not None:
        months = math.ceil(payback_months)
        year, index = divmod(today.month - 1 + months, 12)
        payback = f"{today.year + year}-{index + 1:02d}"
    if len(weeks) < MIN_WEEKS:
        return Forecast(len(weeks), False, month=month, payback_month=payback)
    xs = [float(i) for i in range(len(weeks))]
    slope, intercept, cov, resid = _fit(xs, [w.requests_per_day for w in weeks])
    crossings = {t: _crossing(t, weeks, slope, intercept, cov, resid) for t in thresholds}
    spend = _month_end_spend(report, weeks, today)
    return Forecast(
        len(weeks),
        True,
        slope,
        crossings,
        *spend,
        month=month,
        payback_month=payback,
    )


def _month_end_spend(
    report: VolumeReport, weeks: list[Week], today: date
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """Month-to-date measured spend + the spend trend for the rest of the month (and band)."""
    priced = [w for w in weeks if w.spend_per_day is not None]
    if len(priced) < MIN_WEEKS:
        return None, None, None
    start = today.replace(day=1)
    next_month = (start + timedelta(days=32)).replace(day=1)
    so_far = sum(
        (d.cost_usd for d in report.days if start <= d.day < today and d.cost_usd is not None),
        Decimal(0),
    )
    xs = [float((w.monday - weeks[0].monday).days // 7) for w in priced]
    slope, intercept, cov, resid = _fit(xs, [float(w.spend_per_day or 0) for w in priced])
    mean = low = high = 0.0
    day = today
    while day < next_month:
        x = (day - weeks[0].monday).days / 7
        m, lo, hi = _band(slope, intercept, cov, resid, x)
        mean, low, high = mean + max(0.0, m), low + max(0.0, lo), high + max(0.0, hi)
        day += timedelta(days=1)

    def money(value: float) -> Decimal:
        return (so_far + Decimal(str(round(value, 6)))).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_EVEN
        )

    return money(mean), money(low), money(high)
