"""The cost model's formulas, table-driven, in exact Decimal arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from golocal.config.advisor import Advisor, HardwareProfile
from golocal.jobs.costmodel import (
    break_even_requests_per_day,
    capacity_requests_per_day,
    cloud_cost_per_request,
    local_monthly_cost,
    monthly_cloud_cost,
    monthly_energy_kwh,
)

BOX = HardwareProfile(
    label="box", gpus=2, capex_usd=Decimal("7200"), watts=500, tokens_per_second=100
)


@pytest.mark.parametrize(
    ("spend", "requests", "expected"),
    [
        (Decimal("12.30"), 1000, Decimal("0.0123")),
        (None, 1000, None),  # unpriced is not $0
        (Decimal("5"), 0, None),
        (Decimal("0"), 10, None),
    ],
)
def test_cloud_cost_per_request(spend, requests, expected):
    assert cloud_cost_per_request(spend, requests) == expected


@pytest.mark.parametrize(
    ("local", "per_request", "expected"),
    [
        (Decimal("304"), Decimal("0.01"), 1000),  # exactly: 304 / 0.304
        (Decimal("304.01"), Decimal("0.01"), 1001),  # rounded up: local must at least pay off
        (Decimal("2150"), Decimal("0.0123"), 5750),  # 2150 / 0.37392 = 5749.9
        (Decimal("100"), None, None),
    ],
)
def test_break_even(local, per_request, expected):
    assert break_even_requests_per_day(local, per_request) == expected


@pytest.mark.parametrize(
    ("tokens_per_request", "expected"),
    [(Decimal(2000), 2592), (Decimal("2073.6"), 2500), (None, None), (Decimal(0), None)],
)
def test_capacity(tokens_per_request, expected):
    # 100 tok/s x 86,400 s x 0.6 = 5,184,000 tokens a day
    assert capacity_requests_per_day(BOX, Decimal("0.6"), tokens_per_request) == expected


def test_energy_profile_vs_measured():
    assert monthly_energy_kwh(BOX, Decimal("0.5"), None) == (Decimal("182.4"), "profile")
    # measured 150 W per GPU x 2 GPUs x 729.6 h
    assert monthly_energy_kwh(BOX, Decimal("0.5"), 150.0) == (Decimal("218.88"), "measured")
    # a measured load share carries over to the profile's whole-system watts: 500 W x 0.25
    assert monthly_energy_kwh(BOX, Decimal("0.5"), 150.0, 0.25) == (Decimal("91.2"), "measured")


def test_local_monthly_cost_parts():
    advisor = Advisor(
        profiles={"box": BOX},
        profile="box",
        electricity_usd_per_kwh=Decimal("0.25"),
        pue=Decimal("1.2"),
        operator_usd_per_hour=Decimal("80"),
        operator_hours_per_month=Decimal("5"),
        amortisation_months=24,
        other_fixed_usd_per_month=Decimal("50"),
        duty=Decimal("0.5"),
    )
    cost = local_monthly_cost("box", BOX, advisor)
    assert cost.capex_monthly == Decimal("300")
    assert cost.energy_usd == Decimal("182.4") * Decimal("0.25") * Decimal("1.2")  # 54.72
    assert cost.operator_usd == Decimal("400")
    assert cost.total == Decimal("804.72")
    assert cost.marginal == Decimal("504.72")
    assert cost.as_json()["local_monthly_usd"] == "804.72"
    cheaper = local_monthly_cost("box", BOX, advisor, electricity_usd_per_kwh=Decimal("0"))
    assert cheaper.total == Decimal("750")


def test_monthly_cloud_cost():
    assert monthly_cloud_cost(Decimal("0.01"), 1000) == Decimal("304.0")
