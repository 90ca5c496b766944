"""Budgets per team and provider, and spend anomalies, through the real alert bookkeeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from golocal.config.settings import BudgetRule, ConfigError, Settings, load_settings
from golocal.db.alerts import firing_incidents, recent_incidents
from golocal.db.attribution import set_attribution
from golocal.db.costs import upsert_cost_lines
from golocal.db.database import Database
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.alerts import check_alerts


def _settings(**update: Any) -> Settings:
    return load_settings(None).model_copy(update=update)


def _day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _spend(database: Database, day: date, provider: str, project: str, cost: str) -> None:
    upsert_usage_buckets(
        database,
        [
            {
                "source": provider,
                "bucket_start": _day(day),
                "bucket_seconds": 86400,
                "location": "cloud",
                "provider": provider,
                "model": "m",
                "project": project,
                "requests": 100,
                "cost_usd": Decimal(cost),
                "cost_estimated": True,
            }
        ],
    )


def _budget_incidents(database: Database) -> dict[str, tuple[str, str]]:
    return {i.key: (i.severity, i.summary) for i in firing_incidents(database, "budget")}


def test_team_budget_warns_then_goes_over_once_per_month_and_resolves(database: Database) -> None:
    settings = _settings(
        budgets=(BudgetRule(team="payments", monthly_usd=Decimal("100"), warn_percent=80),)
    )
    set_attribution(database, external_id="proj_pay", team="payments", updated_by="test")
    for day in range(1, 6):
        _spend(database, date(2026, 3, day), "openai", "proj_pay", "17")  # 85 by the 5th
        _spend(database, date(2026, 3, day), "openai", "proj_other", "50")  # not the team's
    check_alerts(database, settings, datetime(2026, 3, 6, 9, tzinfo=UTC))
    found = _budget_incidents(database)
    assert list(found) == ["team:payments:2026-03"]
    severity, summary = found["team:payments:2026-03"]
    assert severity == "warning" and "$85.00" in summary and "85%" in summary

    _spend(database, date(2026, 3, 6), "openai", "proj_pay", "20")
    check_alerts(database, settings, datetime(2026, 3, 7, 9, tzinfo=UTC))
    check_alerts(database, settings, datetime(2026, 3, 7, 10, tzinfo=UTC))
    found = _budget_incidents(database)
    assert list(found) == ["team:payments:2026-03"]  # the same incident, now critical
    assert found["team:payments:2026-03"][0] == "critical"

    # a new month: March's incident resolves, April has not reached the warning yet
    check_alerts(database, settings, datetime(2026, 4, 1, 9, tzinfo=UTC))
    assert _budget_incidents(database) == {}
    resolved = [i for i in recent_incidents(database, since=_day(date(2026, 3, 1)))]
    assert [i.state for i in resolved if i.rule == "budget"] == ["resolved"]


def test_provider_budget_counts_billed_money(database: Database) -> None:
    settings = _settings(
        budgets=(BudgetRule(provider="anthropic", monthly_usd=Decimal("10"), warn_percent=90),)
    )
    _spend(database, date(2026, 3, 2), "anthropic", "wrk", "5")  # estimated 5, billed 12
    upsert_cost_lines(
        database,
        [
            {
                "source": "anthropic",
                "provider": "anthropic",
                "bucket_start": _day(date(2026, 3, 2)),
                "bucket_seconds": 86400,
                "line_item": "usage",
                "model": "m",
                "amount": Decimal("12"),
                "collected_at": _day(date(2026, 3, 3)),
            }
        ],
    )
    check_alerts(database, settings, datetime(2026, 3, 3, 9, tzinfo=UTC))
    found = _budget_incidents(database)
    assert found["provider:anthropic:2026-03"][0] == "critical"
    assert "$12.00" in found["provider:anthropic:2026-03"][1]


def _bill(database: Database, day: date, amount: str, collected: date) -> None:
    upsert_cost_lines(
        database,
        [
            {
                "source": "anthropic",
                "provider": "anthropic",
                "bucket_start": _day(day),
                "bucket_seconds": 86400,
                "line_item": "usage",
                "model": "m",
                "amount": Decimal(amount),
                "collected_at": _day(collected),
            }
        ],
    )


def _budget_states(database: Database) -> dict[str, str]:
    since = _day(date(2026, 3, 1))
    return {i.key: i.state for i in recent_incidents(database, since=since) if i.rule == "budget"}


def test_a_budget_back_under_mid_month_resolves(database: Database) -> None:
    """Re-attribution or a corrected bill that drops spend under the threshold resolves it."""
    settings = _settings(
        budgets=(
            BudgetRule(team="payments", monthly_usd=Decimal("100"), warn_percent=80),
            BudgetRule(provider="anthropic", monthly_usd=Decimal("10"), warn_percent=90),
        )
    )
    set_attribution(database, external_id="proj_pay", team="payments", updated_by="test")
    _spend(database, date(2026, 3, 2), "openai", "proj_pay", "120")
    _spend(database, date(2026, 3, 2), "anthropic", "wrk", "5")
    _bill(database, date(2026, 3, 2), "12", collected=date(2026, 3, 3))
    check_alerts(database, settings, datetime(2026, 3, 3, 9, tzinfo=UTC))
    assert {k: v[0] for k, v in _budget_incidents(database).items()} == {
        "team:payments:2026-03": "critical",
        "provider:anthropic:2026-03": "critical",
    }

    # mid-month: the project was the wrong team's, and the provider corrects its bill
    set_attribution(database, external_id="proj_pay", team="search", updated_by="test")
    _bill(database, date(2026, 3, 2), "3", collected=date(2026, 3, 10))
    check = check_alerts(database, settings, datetime(2026, 3, 10, 9, tzinfo=UTC))
    assert _budget_incidents(database) == {}
    assert {i.key for i in check.resolved} == {
        "team:payments:2026-03",
        "provider:anthropic:2026-03",
    }
    assert _budget_states(database) == {
        "team:payments:2026-03": "resolved",
        "provider:anthropic:2026-03": "resolved",
    }
    # judged again the same month: still resolved, nothing reopened
    check_alerts(database, settings, datetime(2026, 3, 10, 10, tzinfo=UTC))
    assert _budget_incidents(database) == {}


def test_a_budget_names_exactly_one_scope(tmp_path) -> None:
    path = tmp_path / "golocal.toml"
    path.write_text('[[budgets]]\nteam = "a"\nprovider = "openai"\nmonthly_usd = 10\n')
    with pytest.raises(ConfigError, match="exactly one of team or provider"):
        load_settings(path)
    path.write_text('[[budgets]]\nteam = "payments"\nmonthly_usd = 500\nwarn_percent = 75\n')
    (rule,) = load_settings(path).budgets
    assert (rule.scope, rule.monthly_usd, rule.warn_percent) == ("team:payments", 500, 75)


def _history(database: Database, spike: str, *, days: int = 28) -> date:
    today = date(2026, 3, 30)
    for back in range(2, days + 2):
        _spend(database, today - timedelta(days=back), "openai", "proj", str(20 + back % 3))
    _spend(database, today - timedelta(days=1), "openai", "proj", spike)
    return today


def _anomalies(database: Database) -> list[str]:
    return [i.key for i in firing_incidents(database, "spend_anomaly")]


def test_a_day_far_above_its_trailing_median_is_an_anomaly(database: Database) -> None:
    today = _history(database, "90")  # median 21: 90 > 3 x 21
    check_alerts(database, _settings(), _day(today) + timedelta(hours=9))
    assert _anomalies(database) == ["provider:openai:2026-03-29"]
    (incident,) = firing_incidents(database, "spend_anomaly")
    assert "$90.00" in incident.summary and "$21.00" in incident.summary
    # the next day it is no longer yesterday's spike: resolved, not repeated
    check_alerts(database, _settings(), _day(today) + timedelta(days=1, hours=9))
    assert _anomalies(database) == []


@pytest.mark.parametrize(
    ("spike", "update", "fires"),
    [
        ("60", {}, False),  # under 3 x 21
        ("90", {"factor": Decimal(5)}, False),
        ("90", {"min_usd": Decimal(100)}, False),  # small teams don't page
        ("90", {"enabled": False}, False),
        ("64", {}, True),
    ],
)
def test_anomaly_thresholds(database: Database, spike: str, update: dict, fires: bool) -> None:
    today = _history(database, spike)
    base = load_settings(None)
    settings = base.model_copy(update={"anomaly": base.anomaly.model_copy(update=update)})
    check_alerts(database, settings, _day(today) + timedelta(hours=9))
    assert bool(_anomalies(database)) is fires


def test_no_anomaly_without_a_weeks_history(database: Database) -> None:
    today = _history(database, "500", days=5)
    check_alerts(database, _settings(), _day(today) + timedelta(hours=9))
    assert _anomalies(database) == []
