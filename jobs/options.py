"""Money in the answer: today, cloud-only, local-only and hybrid, a month and over three years.

Pure functions over what the framework measured and priced (all USD a month, 30.4 days):

* **today** = the cloud requests at the measured price per request + running the team's own
  GPUs (energy at measured load, operator time, other fixed costs; their capex is sunk);
* **cloud** = every request at the cloud price; owned GPUs are switched off;
* **local** = every request on local hardware: the team's fleet (running costs) or a purchase
  (amortised capex + running costs); not *feasible* when frontier-only or fine-tuned cloud
  traffic would have to move, or when the hardware cannot carry the peak day;
* **hybrid** = sensitive and local-capable traffic local (plus what already runs locally), up
  to the hardware's capacity at the target utilisation; bursts above it and frontier-only
  work stay in the cloud. Without own GPUs the hybrid buys the cheapest catalogue
  configuration that carries its local share.

Payback = purchase ÷ (today − the option's running cost), in months; the three-year total
cost of ownership = purchase + 36 × the running cost a month. The best option is the cheapest
feasible one (today included); the monthly saving is today minus the best option.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from golocal.jobs.costmodel import DAYS_PER_MONTH, LocalCost
from golocal.jobs.facts import Facts
from golocal.jobs.hardware import Hardware

TCO_MONTHS = 36
_CENT = Decimal("0.01")


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _usd(amount: Decimal) -> str:
    return str(_cents(amount))


@dataclass(frozen=True)
class Option:
    """One way of serving the team's volume, priced a month."""

    name: str
    #: running cost a month (energy, operator, other, cloud spend), without capex
    running: Decimal
    #: amortised purchase a month
    capex_monthly: Decimal = Decimal(0)
    purchase: Decimal = Decimal(0)
    local_share: float = 0.0
    feasible: bool = True
    why_not: str = ""
    hardware: str = ""
    payback_months: float | None = None

    @property
    def monthly(self) -> Decimal:
        return self.running + self.capex_monthly

    @property
    def tco(self) -> Decimal:
        return self.purchase + self.running * TCO_MONTHS

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "monthly_usd": _usd(self.monthly),
            "running_monthly_usd": _usd(self.running),
            "tco_3y_usd": _usd(self.tco),
            "local_share": round(self.local_share, 3),
            "feasible": self.feasible,
            # always present: 0 and null where nothing is bought
            "purchase_usd": _usd(self.purchase),
            "payback_months": self.payback_months,
        }
        if self.hardware:
            data["hardware"] = self.hardware
        if self.why_not:
            data["why_not"] = self.why_not
        return data


@dataclass(frozen=True)
class Options:
    """The four options, the cheapest feasible one and what it saves against today."""

    today: Option
    cloud: Option
    local: Option
    hybrid: Option
    notes: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[Option]:
        return [self.today, self.cloud, self.local, self.hybrid]

    @property
    def best(self) -> Option:
        feasible = [o for o in self.all if o.feasible]
        # ties go to the earlier option: no change beats an equally priced change
        return min(feasible, key=lambda o: o.monthly)

    @property
    def monthly_saving(self) -> Decimal:
        """Today minus the best option, from the cent amounts shown (so they subtract exactly)."""
        return _cents(self.today.monthly) - _cents(self.best.monthly)

    def as_json(self) -> dict[str, Any]:
        return {o.name: o.as_json() for o in self.all}


def _payback(purchase: Decimal, today: Decimal, running: Decimal) -> float | None:
    """Months until the running-cost saving has paid for the purchase (None: it never does)."""
    saving = today - running
    if purchase <= 0 or saving <= 0:
        return None
    return round(float(purchase / saving), 1)


def movable_share(facts: Facts) -> float:
    """Share of cloud requests a local model could take: local-capable or sensitive, not
    fine-tuned. Sensitive frontier traffic is assumed spread like the rest."""
    if not facts.cloud_requests:
        return 0.0
    capable = facts.local_capable_requests / facts.cloud_requests
    sensitive = facts.sensitive_cloud_share or 0.0
    # sensitive requests that are not already counted as local-capable (independence)
    share = capable + sensitive * (1 - capable)
    fine_tuned = facts.fine_tuned_requests / facts.cloud_requests
    return max(0.0, min(1.0, share - fine_tuned))


def build_options(
    *,
    mean_per_day: float,
    peak_per_day: float,
    cloud_share: float,
    cost_per_request: Decimal,
    facts: Facts,
    hardware: Hardware,
    local: LocalCost,
    hybrid_hardware: Callable[[float], tuple[Hardware, LocalCost] | None],
    fleet_running: Decimal | None = None,
    fleet_label: str = "",
) -> Options:
    """Price the four options (see the module docstring).

    Args:
        fleet_running: what running the team's own GPUs costs a month today, when the
            hardware priced is not them (a what-if purchase); default: the hardware's own
            running cost if the team owns it, else nothing.
        fleet_label: the team's own GPUs, named in "today" when the hardware priced is not them.
        hybrid_hardware: for a team that owns no GPUs, the cheapest purchase carrying a daily
            volume and its monthly cost (``None`` when none does).
    """
    per_day = Decimal(str(mean_per_day))
    cloud_per_day = per_day * Decimal(str(cloud_share))
    local_per_day = per_day - cloud_per_day
    month = DAYS_PER_MONTH
    if fleet_running is None:
        fleet_running = local.marginal if hardware.owned else Decimal(0)
    today = Option(
        "today",
        cloud_per_day * cost_per_request * month + fleet_running,
        local_share=float(local_per_day / per_day) if per_day else 0.0,
        hardware=hardware.label if hardware.owned else fleet_label,
    )
    cloud = Option("cloud", per_day * cost_per_request * month)

    purchase = hardware.purchase_usd
    carries = hardware.capacity is not None and hardware.capacity >= peak_per_day
    blocked = facts.frontier_requests + facts.fine_tuned_requests
    why_not = []
    if hardware.capacity is None:
        why_not.append("its capacity is unknown")
    elif not carries:
        why_not.append(f"{hardware.label} carries {hardware.capacity:,}/day, below the peak")
    if blocked:
        why_not.append(f"{blocked:,} frontier or fine-tuned cloud requests would have to move")
    local_option = Option(
        "local",
        local.marginal,
        capex_monthly=local.capex_monthly,
        purchase=purchase,
        local_share=1.0,
        feasible=not why_not,
        why_not="; ".join(why_not),
        hardware=hardware.label,
        payback_months=_payback(purchase, today.running, local.marginal),
    )

    wanted = float(local_per_day) + float(cloud_per_day) * movable_share(facts)
    hybrid_hw, hybrid_cost = hardware, local
    notes = []
    if not hardware.owned and hardware.source == "recommended" and wanted > 0:
        sized = hybrid_hardware(wanted)
        if sized is not None:
            hybrid_hw, hybrid_cost = sized
    capacity = float(hybrid_hw.capacity) if hybrid_hw.capacity is not None else 0.0
    served = min(wanted, capacity)
    if wanted > capacity:
        notes.append(
            f"hybrid: {wanted:,.0f}/day could move local, {hybrid_hw.label} carries {capacity:,.0f}"
        )
    share = served / mean_per_day if mean_per_day else 0.0
    remainder = per_day - Decimal(str(served))
    hybrid_running = remainder * cost_per_request * month + hybrid_cost.marginal
    hybrid = Option(
        "hybrid",
        hybrid_running,
        capex_monthly=hybrid_cost.capex_monthly,
        purchase=hybrid_hw.purchase_usd,
        local_share=share,
        feasible=hybrid_hw.capacity is not None and served > 0,
        why_not="" if served > 0 else "nothing could move local",
        hardware=hybrid_hw.label,
        payback_months=_payback(hybrid_hw.purchase_usd, today.running, hybrid_running),
    )
    return Options(today, cloud, local_option, hybrid, notes)
