"""The options (today, cloud, local, hybrid), payback and TCO on hand-checkable figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from golocal.config.advisor import HardwareProfile
from golocal.jobs.costmodel import LocalCost
from golocal.jobs.facts import Facts
from golocal.jobs.hardware import Hardware
from golocal.jobs.options import build_options, movable_share


def _facts(cloud: int, capable: int, frontier: int = 0, sensitive: int = 0) -> Facts:
    return Facts(
        cloud_requests=cloud,
        priced_requests=cloud,
        priced_spend=Decimal("1"),
        spend_estimated=False,
        unpriced_models=[],
        unpriced_requests=0,
        frontier_requests=frontier,
        local_capable_requests=capable,
        unclassified_requests=cloud - capable - frontier,
        fine_tuned_requests=0,
        fine_tuned_models=[],
        cloud_by_sensitivity={"regulated": sensitive} if sensitive else {},
    )


def _cost(capex: str, running: str) -> LocalCost:
    return LocalCost(
        profile="box",
        capex_monthly=Decimal(capex),
        energy_kwh=Decimal(0),
        energy_usd=Decimal(running),
        operator_usd=Decimal(0),
        other_usd=Decimal(0),
        operator_hours=Decimal(0),
        energy_source="profile",
    )


def _hardware(*, owned: bool, capacity: int | None, capex: str = "0", source: str = "measured"):
    profile = HardwareProfile(label="box", gpus=1, capex_usd=Decimal(capex), watts=100)
    return Hardware(source, "box", profile, [], 1, owned=owned, capacity=capacity)


def test_owned_fleet_options_and_the_saving_of_the_cheapest():
    options = build_options(
        mean_per_day=1000,
        peak_per_day=1500,
        cloud_share=0.6,
        cost_per_request=Decimal("0.01"),
        facts=_facts(cloud=600, capable=300),
        hardware=_hardware(owned=True, capacity=5000),
        local=_cost("0", "500"),
        hybrid_hardware=lambda volume: None,
    )
    data = options.as_json()
    # today: 600 cloud requests/day × $0.01 × 30.4 + the fleet's $500 running cost
    assert data["today"]["monthly_usd"] == "682.40"
    assert data["cloud"]["monthly_usd"] == "304.00"  # 1,000/day × $0.01 × 30.4, fleet off
    assert data["local"]["monthly_usd"] == "500.00" and data["local"]["feasible"] is True
    # hybrid: the 400 local + half of the 600 cloud requests (local-capable) = 700/day local;
    # 300/day stay in the cloud: 300 × 0.01 × 30.4 + 500
    assert data["hybrid"]["monthly_usd"] == "591.20" and data["hybrid"]["local_share"] == 0.7
    assert options.best.name == "cloud" and options.monthly_saving == Decimal("378.40")
    assert data["today"]["tco_3y_usd"] == "24566.40"  # 36 × 682.40
    # the contract's keys are there even when nothing is bought
    assert data["local"]["purchase_usd"] == "0.00" and data["local"]["payback_months"] is None


def test_purchase_pays_back_and_three_year_tco_counts_it_once():
    options = build_options(
        mean_per_day=10_000,
        peak_per_day=12_000,
        cloud_share=1.0,
        cost_per_request=Decimal("0.01"),
        facts=_facts(cloud=10_000, capable=10_000),
        hardware=_hardware(owned=False, capacity=20_000, capex="36000", source="recommended"),
        local=_cost("1000", "200"),
        hybrid_hardware=lambda volume: None,
    )
    local = options.local
    assert options.today.monthly == Decimal("3040.00")
    assert local.monthly == Decimal("1200") and local.purchase == Decimal("36000")
    assert local.payback_months == 12.7  # 36,000 / (3,040 − 200)
    assert local.tco == Decimal("43200")  # 36,000 + 36 × 200
    assert options.best.name == "local" and options.monthly_saving == Decimal("1840.00")


@pytest.mark.parametrize(
    ("capacity", "frontier", "why"),
    [
        (1000, 0, "below the peak"),
        (None, 0, "capacity is unknown"),
        (50_000, 10, "frontier or fine-tuned cloud requests would have to move"),
    ],
)
def test_local_only_is_not_feasible_when_it_cannot_carry_everything(capacity, frontier, why):
    options = build_options(
        mean_per_day=1000,
        peak_per_day=1500,
        cloud_share=1.0,
        cost_per_request=Decimal("0.01"),
        facts=_facts(cloud=1000, capable=990 - frontier, frontier=frontier),
        hardware=_hardware(owned=True, capacity=capacity),
        local=_cost("0", "1"),
        hybrid_hardware=lambda volume: None,
    )
    assert options.local.feasible is False and why in options.local.why_not
    assert options.best.name != "local"


def test_hybrid_without_gpus_buys_for_its_local_share_only():
    small = _hardware(owned=False, capacity=800, capex="3600", source="recommended")
    sized: list[float] = []

    def buy(volume: float):
        sized.append(volume)
        return small, _cost("100", "50")

    options = build_options(
        mean_per_day=1000,
        peak_per_day=1500,
        cloud_share=1.0,
        cost_per_request=Decimal("0.01"),
        facts=_facts(cloud=1000, capable=500),
        hardware=_hardware(owned=False, capacity=5000, capex="36000", source="recommended"),
        local=_cost("1000", "200"),
        hybrid_hardware=buy,
    )
    assert sized == [500.0]  # the local-capable half
    hybrid = options.hybrid
    assert hybrid.purchase == Decimal("3600") and hybrid.local_share == 0.5
    # 500/day cloud × 0.01 × 30.4 + 50 running + 100 amortised
    assert hybrid.monthly == Decimal("302.00")


def test_sensitive_traffic_moves_too_but_fine_tuned_does_not():
    facts = _facts(cloud=1000, capable=400, sensitive=500)
    # 40 % capable + 50 % sensitive × the 60 % not already capable = 70 %
    assert movable_share(facts) == pytest.approx(0.7)
