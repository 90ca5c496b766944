"""The local cost model behind "run the numbers" (docs/ARCHITECTURE.md section 1): pure functions.

* cloud cost per request = priced cloud spend / the requests that spend paid for;
* local monthly cost = capex / amortisation months + energy (kWh) × price × PUE
  + operator hours × hourly rate + other fixed costs, where energy comes from measured GPU
  power when there is some, else the profile's watts × duty;
* break-even volume = local monthly cost / (cloud cost per request × 30.4);
* local capacity = the profile's tokens/s × 86,400 × target utilisation / tokens per request.

Money is ``Decimal`` end to end; counts of requests are rounded only at the very end.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from golocal.config.advisor import Advisor, HardwareProfile

#: Days in an average month, as the framework's break-even formula uses it.
DAYS_PER_MONTH = Decimal("30.4")
HOURS_PER_MONTH = DAYS_PER_MONTH * 24
SECONDS_PER_DAY = Decimal(86400)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class LocalCost:
    """The monthly cost of running one hardware profile, by part (USD/month)."""

    profile: str
    capex_monthly: Decimal
    energy_kwh: Decimal
    energy_usd: Decimal
    operator_usd: Decimal
    other_usd: Decimal
    operator_hours: Decimal
    #: ``measured`` (GPU power from telemetry) or ``profile`` (watts × duty)
    energy_source: str

    @property
    def total(self) -> Decimal:
        return self.capex_monthly + self.energy_usd + self.operator_usd + self.other_usd

    @property
    def marginal(self) -> Decimal:
        """What running it costs once bought: energy + operator + other fixed costs."""
        return self.energy_usd + self.operator_usd + self.other_usd

    def as_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "capex_monthly_usd": str(_cents(self.capex_monthly)),
            "energy_kwh": str(self.energy_kwh.quantize(Decimal("0.1"))),
            "energy_usd": str(_cents(self.energy_usd)),
            "operator_usd": str(_cents(self.operator_usd)),
            "operator_hours_per_month": str(self.operator_hours),
            "other_usd": str(_cents(self.other_usd)),
            "local_monthly_usd": str(_cents(self.total)),
            "energy_source": self.energy_source,
        }


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def cloud_cost_per_request(spend: Decimal | None, requests: int) -> Decimal | None:
    """Priced cloud spend per request; ``None`` when there is nothing to price a request with."""
    if spend is None or requests <= 0 or spend <= 0:
        return None
    return spend / Decimal(requests)


def monthly_energy_kwh(
    profile: HardwareProfile,
    duty: Decimal,
    measured_gpu_watts: float | None = None,
    measured_load: float | None = None,
) -> tuple[Decimal, str]:
    """Energy a month, and where it came from (``measured`` or ``profile``).

    Args:
        profile: the hardware priced.
        duty: share of the month at full power, used when nothing was measured.
        measured_gpu_watts: mean measured power per GPU over the window; applied to the
            profile's GPU count when no load share is known (host power is not measured).
        measured_load: measured mean power / power limit of the team's GPUs; preferred, as
            it carries over to a profile with other GPUs: ``profile watts × load``.
    """
    if measured_load is not None and measured_load > 0:
        load = Decimal(str(round(measured_load, 4)))
        return Decimal(str(profile.watts)) * load * HOURS_PER_MONTH / 1000, "measured"
    if measured_gpu_watts is not None and measured_gpu_watts > 0:
        watts = Decimal(str(round(measured_gpu_watts, 3))) * profile.gpus
        return watts * HOURS_PER_MONTH / 1000, "measured"
    watts = Decimal(str(profile.watts)) * duty
    return watts * HOURS_PER_MONTH / 1000, "profile"


def local_monthly_cost(
    name: str,
    profile: HardwareProfile,
    advisor: Advisor,
    *,
    measured_gpu_watts: float | None = None,
    measured_load: float | None = None,
    electricity_usd_per_kwh: Decimal | None = None,
    owned: bool = False,
) -> LocalCost:
    """Monthly cost of ``profile``: amortised capex + energy + operator time + other fixed.

    Args:
        name: the profile's name (reported back).
        profile: the hardware.
        advisor: prices, PUE, amortisation, duty and operator defaults.
        measured_gpu_watts: mean measured power per GPU, replacing watts × duty.
        measured_load: measured power / power limit, replacing duty (preferred).
        electricity_usd_per_kwh: overrides the configured price (what-if).
        owned: hardware the team already has: its capex is sunk, not charged again.
    """
    price = (
        advisor.electricity_usd_per_kwh
        if electricity_usd_per_kwh is None
        else (electricity_usd_per_kwh)
    )
    kwh, source = monthly_energy_kwh(profile, advisor.duty, measured_gpu_watts, measured_load)
    hours = (
        profile.operator_hours_per_month
        if profile.operator_hours_per_month is not None
        else advisor.operator_hours_per_month
    )
    return LocalCost(
        profile=name,
        capex_monthly=Decimal(0)
        if owned
        else (profile.capex_usd or Decimal(0)) / advisor.amortisation_months,
        energy_kwh=kwh,
        energy_usd=kwh * price * advisor.pue,
        operator_usd=hours * advisor.operator_usd_per_hour,
        other_usd=advisor.other_fixed_usd_per_month,
        operator_hours=hours,
        energy_source=source,
    )


def break_even_requests_per_day(
    local_monthly: Decimal, cost_per_request: Decimal | None
) -> int | None:
    """Requests/day at which cloud spend equals the local monthly cost (rounded up).

    ``local monthly / (cloud cost per request × 30.4)``; ``None`` without a cloud price.
    """
    if cost_per_request is None or cost_per_request <= 0:
        return None
    value = local_monthly / (cost_per_request * DAYS_PER_MONTH)
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def capacity_requests_per_day(
    profile: HardwareProfile, target_utilisation: Decimal, tokens_per_request: Decimal | None
) -> int | None:
    """Requests/day the profile serves at the target utilisation (rounded down).

    ``tokens/s × 86,400 × target utilisation / tokens per request``; ``None`` when no tokens
    per request were measured.
    """
    if tokens_per_request is None or tokens_per_request <= 0 or profile.tokens_per_second is None:
        return None
    throughput = Decimal(str(profile.tokens_per_second))
    value = throughput * SECONDS_PER_DAY * target_utilisation / tokens_per_request
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def monthly_cloud_cost(cost_per_request: Decimal, requests_per_day: float) -> Decimal:
    """What a daily volume costs a month in the cloud at a price per request."""
    return cost_per_request * Decimal(str(requests_per_day)) * DAYS_PER_MONTH
