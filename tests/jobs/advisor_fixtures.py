"""Builders of synthetic advisor evidence for the framework's table-driven tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from golocal.config.advisor import Advisor
from golocal.config.settings import Settings
from golocal.db.attribution import AttributionEntry
from golocal.db.checklist import Answer
from golocal.db.evidence import GpuPower, ModelUsage
from golocal.db.usage import SourceDay
from golocal.jobs.evidence import Evidence
from golocal.jobs.volume import build_volume_report

UNTIL = date(2026, 3, 9)
WINDOW = 7

#: A hand-checkable profile: 1,000 $/month capex, 364.8 kWh, 109.44 $ energy, 500 $ operator.
TEST_PROFILE = {
    "label": "test box",
    "gpus": 1,
    "capex_usd": "36000",
    "watts": 1000,
    "tokens_per_second": 1000,
    "operator_hours_per_month": "10",
}


def make_settings(**advisor: object) -> Settings:
    """Settings whose advisor prices the hand-checkable test profile."""
    values: dict[str, object] = {
        "profile": "test",
        "profiles": {"test": TEST_PROFILE},
        "electricity_usd_per_kwh": "0.20",
        "pue": "1.5",
        "operator_usd_per_hour": "50",
        "amortisation_months": 36,
        "other_fixed_usd_per_month": "90.56",
        "duty": "0.5",
        "target_utilisation": "0.5",
    }
    values.update(advisor)
    return Settings(advisor=Advisor(**values))


@dataclass
class Usage:
    """A model's usage per day in the window (the same every day)."""

    model: str = "gpt-4.1"
    per_day: int = 1000
    cost_per_day: Decimal | None = Decimal("10")
    location: str = "cloud"
    provider: str = "openai"
    project: str = ""
    source: str = "openai"
    tokens_per_request: int = 2000
    count_reported: bool = True


def make_evidence(
    usages: list[Usage],
    *,
    days: int = WINDOW,
    answers: dict[tuple[str, str], str] | None = None,
    attributions: list[AttributionEntry] | None = None,
    gpu: GpuPower | None = None,
) -> Evidence:
    """Evidence over the 7 days before UNTIL, with data on the last ``days`` of them."""
    since = UNTIL - timedelta(days=WINDOW)
    rows: list[SourceDay] = []
    for offset in range(WINDOW - days, WINDOW):
        day = since + timedelta(days=offset)
        for u in usages:
            tokens = u.per_day * u.tokens_per_request
            rows.append(
                SourceDay(
                    day=day,
                    source=u.source,
                    location=u.location,
                    requests=u.per_day if u.count_reported else None,
                    tokens_without_requests=0 if u.count_reported else tokens,
                    buckets_without_requests=0 if u.count_reported else 1,
                    input_tokens=tokens,
                    output_tokens=0,
                    cost_usd=u.cost_per_day,
                    cost_estimated=False,
                )
            )
    models = [
        ModelUsage(
            location=u.location,
            source=u.source,
            provider=u.provider,
            model=u.model,
            project=u.project,
            api_key="",
            team=None,
            requests=u.per_day * days if u.count_reported else None,
            tokens_without_requests=0
            if u.count_reported
            else u.per_day * days * u.tokens_per_request,
            input_tokens=u.per_day * days * u.tokens_per_request,
            output_tokens=0,
            cost_usd=None if u.cost_per_day is None else u.cost_per_day * days,
            unpriced_buckets=0 if u.cost_per_day is not None else days,
            cost_estimated=False,
        )
        for u in usages
        if days
    ]
    declared = [
        Answer(key, scope, value, "tester", UNTIL - timedelta(days=30))
        for (key, scope), value in (answers or {}).items()
    ]
    return Evidence(
        since=since,
        until=UNTIL,
        volume=build_volume_report(rows, since, UNTIL, tokens_per_request=2000),
        models=models,
        answers=declared,
        attributions=attributions or [],
        gpu=gpu,
    )
