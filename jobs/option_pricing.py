"""Pricing the options of one assessment: the glue between the framework and the cost model.

:func:`price_options` gathers what :func:`golocal.jobs.options.build_options` needs from an
assessment in progress: the hardware a hybrid would buy (a team without GPUs buys for its
local share only) and what the team's own GPUs cost to run today when a what-if prices other
hardware.
"""

from __future__ import annotations

from decimal import Decimal

from golocal.config.settings import Settings
from golocal.jobs.costmodel import LocalCost, local_monthly_cost
from golocal.jobs.evidence import Evidence
from golocal.jobs.facts import Facts
from golocal.jobs.hardware import Hardware, fleet_hardware, recommend
from golocal.jobs.options import Options, build_options
from golocal.jobs.scenario import Scenario, load_of


def price_options(
    evidence: Evidence,
    settings: Settings,
    scenario: Scenario,
    facts: Facts,
    hardware: Hardware,
    local: LocalCost,
    mean: float,
    peak: float,
    cloud_share: float | None,
    per_request: Decimal,
) -> Options:
    """Today, cloud, local and hybrid for this assessment (see :mod:`golocal.jobs.options`)."""
    advisor = settings.advisor

    def sized(volume: float) -> tuple[Hardware, LocalCost] | None:
        bought = recommend(advisor, volume, load_of(facts))
        if bought is None:
            return None
        cost = local_monthly_cost(
            bought.name,
            bought.profile,
            advisor,
            electricity_usd_per_kwh=scenario.electricity_usd_per_kwh,
        )
        return bought, cost

    running, label = (None, "") if hardware.owned else _fleet(evidence, settings, facts, scenario)
    return build_options(
        mean_per_day=mean,
        peak_per_day=peak,
        cloud_share=cloud_share or 0.0,
        cost_per_request=per_request,
        facts=facts,
        hardware=hardware,
        local=local,
        hybrid_hardware=sized,
        fleet_running=running,
        fleet_label=label,
    )


def _fleet(
    evidence: Evidence, settings: Settings, facts: Facts, scenario: Scenario
) -> tuple[Decimal, str]:
    """What the team's own GPUs cost to run a month today, and what they are (none: $0)."""
    fleet = fleet_hardware(settings.advisor, evidence.inventory, load_of(facts), evidence.decode)
    if fleet is None:
        return Decimal(0), ""
    gpu = evidence.gpu
    cost = local_monthly_cost(
        fleet.name,
        fleet.profile,
        settings.advisor,
        measured_gpu_watts=gpu.mean_power_w if gpu else None,
        measured_load=gpu.load_share if gpu else None,
        electricity_usd_per_kwh=scenario.electricity_usd_per_kwh,
        owned=True,
    )
    return cost.marginal, fleet.label
