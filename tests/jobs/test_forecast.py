"""The weekly trend forecast: crossing weeks with their band, month-end spend, too little data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from golocal.jobs.forecast import MIN_WEEKS, complete_weeks, forecast
from golocal.jobs.volume import SourceTotals, VolumeDay, VolumeReport

MONDAY = date(2026, 1, 5)  # ISO 2026-W02


def _report(per_week: list[float], spend_per_request: str = "0.01", wobble: float = 0.0):
    """Weeks of constant daily volume (± a wobble on alternate weeks), from MONDAY."""
    days = []
    for week, volume in enumerate(per_week):
        value = volume + (wobble if week % 2 else -wobble)
        for offset in range(7):
            day = MONDAY + timedelta(weeks=week, days=offset)
            requests = round(value)
            source = SourceTotals("cloud", requests, None, None, None, None, False)
            days.append(
                VolumeDay(
                    day,
                    requests,
                    requests,
                    0,
                    False,
                    0,
                    0,
                    Decimal(spend_per_request) * requests,
                    False,
                    {"openai": source},
                )
            )
    until = MONDAY + timedelta(weeks=len(per_week))
    return VolumeReport(MONDAY, until, days)


def test_linear_growth_crosses_2000_in_the_week_the_line_does():
    # 1,000/day growing 100/day each week: week index 10 reaches 2,000 (MONDAY + 10 weeks)
    report = _report([1000 + 100 * w for w in range(8)], wobble=20)
    result = forecast(report, MONDAY + timedelta(weeks=8))
    crossing = result.crossings[2000]
    assert crossing.status == "crossing"
    assert crossing.week == "2026-W12"  # W02 + 10 weeks
    assert crossing.earliest <= crossing.week <= crossing.latest  # the band around it
    assert crossing.earliest != crossing.latest  # a noisy series has a real band
    assert result.crossings[500].status == "already_above"
    data = result.as_json()
    assert data["crosses_2000_per_day_week"] == "2026-W12"
    assert data["history_weeks"] == 8 and data["enough_history"] is True
    assert "numpy.polyfit" in data["method"]


def test_flat_or_falling_volume_never_crosses():
    falling = forecast(_report([1500 - 50 * w for w in range(6)], wobble=10), MONDAY)
    assert falling.crossings[2000].status == "falling"
    assert falling.as_json()["crosses_2000_per_day_week"] is None


def test_too_little_history_says_so():
    result = forecast(_report([900, 1000, 1100]), MONDAY + timedelta(weeks=3))
    data = result.as_json()
    assert data["enough_history"] is False and data["history_weeks"] == 3
    assert data["crosses_2000_per_day_week"] is None and data["min_weeks"] == MIN_WEEKS


def test_partial_weeks_are_left_out():
    report = _report([1000] * 5)
    trimmed = VolumeReport(report.since + timedelta(days=3), report.until, report.days[3:])
    assert len(complete_weeks(trimmed)) == 4


def test_month_end_spend_adds_the_trend_to_the_month_so_far():
    # flat 1,000 requests/day at $0.01: $10 a day, so January ends at 31 × $10
    report = _report([1000] * 6)
    today = date(2026, 1, 20)
    result = forecast(report, today)
    # Jan 5 … Jan 19 measured ($150) + 12 days of trend ($120)
    assert result.month_end_spend == Decimal("270.00")
    assert result.month_end_spend_low <= result.month_end_spend <= result.month_end_spend_high


@pytest.mark.parametrize(("months", "month"), [(7.5, "2026-09"), (0.4, "2026-02"), (None, None)])
def test_payback_month(months, month):
    result = forecast(_report([1000] * 5), date(2026, 1, 20), payback_months=months)
    assert result.payback_month == month
