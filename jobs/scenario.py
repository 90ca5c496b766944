"""What a what-if changes, and which hardware an answer prices (before any judgement).

:class:`Scenario` holds the inputs a what-if question changes; :func:`choose_hardware` picks
the hardware to price: a what-if's "N × catalogue GPU", a named profile, the team's own fleet
from telemetry, or the cheapest catalogue purchase that carries its peak day.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from golocal.config.settings import Settings
from golocal.errors import UsageError
from golocal.jobs.evidence import Evidence
from golocal.jobs.facts import Facts
from golocal.jobs.hardware import (
    Hardware,
    Load,
    catalogue_hardware,
    fleet_hardware,
    recommend,
)


@dataclass(frozen=True)
class Scenario:
    """Inputs a what-if question changes; ``None`` keeps what was measured or configured."""

    requests_per_day: float | None = None
    profile: str | None = None
    #: "N × catalogue GPU" to price instead: (GPU catalogue key, count)
    hardware: tuple[str, int] | None = None
    cloud_price_factor: Decimal = Decimal(1)
    electricity_usd_per_kwh: Decimal | None = None
    #: measured volume × this ("if volume doubled": 2, "+50 %": 1.5)
    volume_factor: Decimal | None = None

    @property
    def changed(self) -> bool:
        return self != Scenario()


#: Output share of a request's tokens assumed when none was measured (coding assistants).
DEFAULT_OUTPUT_SHARE = Decimal("0.15")


def load_of(facts: Facts) -> Load | None:
    """Tokens per request split into prompt and output, as the capacity physics needs."""
    total = facts.tokens_per_request
    if total is None or total <= 0:
        return None
    output = facts.output_tokens_per_request
    if output is None:
        output = total * DEFAULT_OUTPUT_SHARE
    return Load(input_tokens=float(total - output), output_tokens=float(output))


def choose_hardware(
    evidence: Evidence, settings: Settings, scenario: Scenario, load: Load | None, peak: float
) -> Hardware:
    """The hardware to price: a what-if's, the configured profile, the fleet, or a purchase.

    Raises:
        UsageError: a profile or GPU the configuration does not know.
    """
    advisor = settings.advisor
    if scenario.hardware is not None:
        key, count = scenario.hardware
        if key not in advisor.gpus:
            raise UsageError(f"unknown GPU {key!r} (known: {', '.join(sorted(advisor.gpus))})")
        profile = advisor.catalogue_profile(key, count)
        return catalogue_hardware(advisor, profile.label, profile, load, "catalogue")
    name = scenario.profile or advisor.profile
    if name is not None:
        named = advisor.profiles.get(name)
        if named is None:
            known = ", ".join(sorted(advisor.profiles))
            raise UsageError(f"unknown hardware profile {name!r} (known: {known})")
        return catalogue_hardware(advisor, name, named, load, "catalogue")
    fleet = fleet_hardware(advisor, evidence.inventory, load, evidence.decode)
    if fleet is not None:
        return fleet
    recommended = recommend(advisor, peak, load)
    if recommended is not None:
        return recommended
    # Nothing in the catalogue carries the peak: price the largest shipped node, and say so.
    node = catalogue_hardware(
        advisor, "h100x8-node", advisor.profiles["h100x8-node"], load, "recommended"
    )
    note = "no catalogue configuration of up to 64 GPUs carries the peak day"
    return Hardware(**{**node.__dict__, "notes": [*node.notes, note]})
