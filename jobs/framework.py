"""The decision framework (docs/ARCHITECTURE.md section 1): five points, the cost model, a verdict.

:func:`assess` is pure: evidence and settings in, an :class:`Assessment` out — every point
with its evidence, which way it leans and whether it was measured, declared or a default; the
zone; the cost model's break-even and capacity; the verdict; and what would change it. A
:class:`Scenario` reruns the same evidence with one input changed ("what if ...").

Verdicts: ``insufficient_data`` (fewer than ``volume.min_days`` days with data, or no cloud
spend to price a request — never a guess), ``cloud``, ``local`` or ``hybrid``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from golocal.config.settings import Settings
from golocal.jobs.checkpoints import (
    Point,
    code_point,
    exit_point,
    model_point,
    ops_point,
    volume_point,
)
from golocal.jobs.costmodel import (
    LocalCost,
    break_even_requests_per_day,
    cloud_cost_per_request,
    local_monthly_cost,
)
from golocal.jobs.evidence import Evidence
from golocal.jobs.facts import Facts, derive_facts
from golocal.jobs.forecast import Forecast, forecast
from golocal.jobs.hardware import Hardware, spare_capacity
from golocal.jobs.latency import latency_summary
from golocal.jobs.money import usd_string
from golocal.jobs.option_pricing import price_options
from golocal.jobs.options import Options
from golocal.jobs.scenario import Scenario, choose_hardware, load_of
from golocal.jobs.volume import Zone, volume_zone


class Verdict(StrEnum):
    """The framework's answer; ``insufficient_data`` is never replaced by a guess."""

    CLOUD = "cloud"
    LOCAL = "local"
    HYBRID = "hybrid"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True)
class Assessment:
    """The answer to "should we go local?" and everything it stands on."""

    verdict: Verdict
    zone: Zone | None
    window_days: int
    days_with_data: int
    since: str
    until: str
    sources: list[str]
    mean_per_day: float
    peak_per_day: int
    cloud_share: float | None
    volume_estimated: bool
    checklist: list[Point]
    facts: Facts
    cost_per_request: Decimal | None
    local: LocalCost
    break_even: int | None
    capacity: int | None
    reasons: list[str]
    missing: list[str]
    what_would_change: list[str]
    hardware: Hardware | None = None
    options: Options | None = None
    forecast: Forecast | None = None
    latency: dict[str, Any] = field(default_factory=dict)
    scenario: Scenario = field(default_factory=Scenario)

    def _hardware_json(self) -> dict[str, Any]:
        assert self.hardware is not None
        data = self.hardware.as_json()
        if self.hardware.owned:
            data["spare_requests_per_day"] = spare_capacity(
                self.hardware.capacity, self.mean_per_day, self.cloud_share
            )
        return data

    def point(self, point_id: str) -> Point:
        return next(p for p in self.checklist if p.id == point_id)

    def as_json(self) -> dict[str, Any]:
        """The public ``golocal ask "should we go local?" --json`` contract."""
        local = self.local.as_json()
        return {
            "verdict": self.verdict.value,
            "zone": self.zone.value if self.zone else None,
            "window_days": self.window_days,
            "window": {
                "since": self.since,
                "until": self.until,
                "days_with_data": self.days_with_data,
            },
            "sources": self.sources,
            "volume": {
                "mean_per_day": round(self.mean_per_day, 1),
                "peak_per_day": self.peak_per_day,
                "cloud_share": None if self.cloud_share is None else round(self.cloud_share, 3),
                "estimated": self.volume_estimated,
            },
            "checklist": [p.as_json() for p in self.checklist],
            "cost_model": {
                "cloud_cost_per_request_usd": usd_string(
                    None
                    if self.cost_per_request is None
                    else self.cost_per_request.quantize(Decimal("0.000001"))
                ),
                "cloud_cost_estimated": self.facts.spend_estimated,
                "unpriced_models": self.facts.unpriced_models,
                "local_monthly_usd": local["local_monthly_usd"],
                "local_monthly_parts": {
                    k: local[k]
                    for k in ("capex_monthly_usd", "energy_usd", "operator_usd", "other_usd")
                },
                "energy_kwh_per_month": local["energy_kwh"],
                "operator_hours_per_month": local["operator_hours_per_month"],
                "break_even_requests_per_day": self.break_even,
                "profile": self.local.profile,
                "energy_source": self.local.energy_source,
            },
            "capacity": {
                "requests_per_day": self.capacity,
                "tokens_per_request": None
                if self.facts.tokens_per_request is None
                else round(float(self.facts.tokens_per_request), 1),
                "tokens_per_request_source": self.facts.tokens_per_request_source,
            },
            "hardware": None if self.hardware is None else self._hardware_json(),
            "options": None if self.options is None else self.options.as_json(),
            "best_option": None if self.options is None else self.options.best.name,
            "monthly_saving_usd": None
            if self.options is None
            else str(self.options.monthly_saving.quantize(Decimal("0.01"))),
            "forecast": None if self.forecast is None else self.forecast.as_json(),
            "latency": self.latency,
            "reasons": self.reasons,
            "missing": self.missing,
            "what_would_change": self.what_would_change,
        }


def assess(evidence: Evidence, settings: Settings, scenario: Scenario | None = None) -> Assessment:
    """Run the framework on the evidence (and a what-if scenario, if any).

    Raises:
        UsageError: the scenario names a hardware profile that is not configured.
    """
    scenario = scenario or Scenario()
    advisor = settings.advisor
    facts = derive_facts(evidence, advisor, settings.volume.tokens_per_request)
    report = evidence.volume
    measured_mean = report.mean_requests_per_day
    peak_day = report.peak
    measured_peak = peak_day.requests if peak_day else 0
    asked = scenario.requests_per_day
    if scenario.volume_factor is not None and measured_mean:
        asked = measured_mean * float(scenario.volume_factor)
    mean = measured_mean if asked is None else asked
    peak = measured_peak
    if asked is not None:
        ratio = asked / measured_mean if measured_mean else 1.0
        peak = round(measured_peak * ratio) if measured_peak else round(asked)
    has_data = report.days_with_data > 0
    zone = (
        volume_zone(
            mean, settings.thresholds.cloud_ok_below, settings.thresholds.run_cost_model_above
        )
        if has_data or asked is not None
        else None
    )
    total = report.total_requests
    cloud_total = sum(day.cloud_requests for day in report.days)
    cloud_share = cloud_total / total if total else None

    per_request = cloud_cost_per_request(facts.priced_spend, facts.priced_requests)
    if per_request is not None:
        per_request *= scenario.cloud_price_factor
    hardware = choose_hardware(evidence, settings, scenario, load_of(facts), peak)
    profile_name = hardware.name
    # Measured power describes the team's own hardware under its own load: it prices the
    # team's fleet (or the profile configured as its hardware), not hardware a what-if buys.
    own = hardware.source == "measured" or (
        scenario.profile is None and scenario.hardware is None and advisor.profile is not None
    )
    gpu = evidence.gpu if own else None
    local = local_monthly_cost(
        profile_name,
        hardware.profile,
        advisor,
        measured_gpu_watts=gpu.mean_power_w if gpu else None,
        measured_load=gpu.load_share if gpu else None,
        electricity_usd_per_kwh=scenario.electricity_usd_per_kwh,
        owned=hardware.owned,
    )
    break_even = break_even_requests_per_day(local.total, per_request)
    capacity = hardware.capacity
    options = (
        None
        if per_request is None
        else price_options(
            evidence,
            settings,
            scenario,
            facts,
            hardware,
            local,
            mean,
            peak,
            cloud_share,
            per_request,
        )
    )

    checklist = [
        volume_point(zone, mean, break_even, settings),
        code_point(facts, evidence),
        model_point(facts, evidence),
        ops_point(evidence),
        exit_point(facts, evidence),
    ]
    missing = []
    min_days = settings.volume.min_days
    if report.days_with_data < min_days:
        missing.append(
            f"usage data on at least {min_days} days (have {report.days_with_data} of the "
            f"last {evidence.window_days})"
        )
    if per_request is None:
        if facts.cloud_requests and facts.unpriced_models:
            missing.append(
                "cloud spend to price a request (no cost for: "
                + ", ".join(facts.unpriced_models[:5])
                + ")"
            )
        else:
            missing.append("cloud spend to price a request (no priced cloud usage in the window)")
    verdict, reasons, changes = _decide(
        checklist, zone, mean, peak, break_even, capacity, profile_name, settings, missing
    )
    return Assessment(
        verdict=verdict,
        zone=zone,
        window_days=evidence.window_days,
        days_with_data=report.days_with_data,
        since=evidence.since.isoformat(),
        until=evidence.until.isoformat(),
        sources=evidence.sources,
        mean_per_day=mean,
        peak_per_day=peak,
        cloud_share=cloud_share,
        volume_estimated=report.requests_estimated,
        checklist=checklist,
        facts=facts,
        cost_per_request=per_request,
        local=local,
        break_even=break_even,
        capacity=capacity,
        reasons=reasons,
        missing=missing,
        what_would_change=changes,
        hardware=hardware,
        options=options,
        forecast=None
        if evidence.history is None
        else forecast(
            evidence.history,
            evidence.until,
            (settings.thresholds.cloud_ok_below, settings.thresholds.run_cost_model_above),
            payback_months=options.best.payback_months if options is not None else None,
        ),
        latency=latency_summary(evidence.latency_histograms),
        scenario=scenario,
    )


#: What would remove a point that keeps traffic in the cloud.
_UNBLOCK = {
    "model_size": "a 7B–30B model being enough for more of the work (fewer frontier requests)",
    "exit_cost": "moving off fine-tuned cloud models (lower exit cost)",
}


#: The traffic a point that leans cloud keeps there.
_KEPT_IN_CLOUD = {"model_size": "frontier-model", "exit_cost": "fine-tuned-model"}


def _hybrid(
    reasons: list[str], changes: list[str], peak: int, capacity: int | None, blockers: list[str]
) -> tuple[Verdict, list[str], list[str]]:
    """A hybrid verdict, adding what keeps part of the traffic in the cloud and its remedy."""
    if capacity is not None and peak > capacity:
        reasons.append(
            f"peak {peak:,}/day exceeds local capacity {capacity:,}/day: bursts go to the cloud"
        )
        changes.append("more local capacity (a larger profile)")
    if blockers:
        what = " and ".join(_KEPT_IN_CLOUD[b] for b in blockers)
        reasons.append(f"{what} traffic stays in the cloud")
        changes.extend(_UNBLOCK[b] for b in blockers)
    return Verdict.HYBRID, reasons, changes


def _decide(
    checklist: list[Point],
    zone: Zone | None,
    mean: float,
    peak: int,
    break_even: int | None,
    capacity: int | None,
    profile: str,
    settings: Settings,
    missing: list[str],
) -> tuple[Verdict, list[str], list[str]]:
    """The verdict, the reasons for it, and what would change it."""
    leans = {p.id: p.leans for p in checklist}
    if missing:
        return (
            Verdict.INSUFFICIENT_DATA,
            [f"missing: {m}" for m in missing],
            [f"collect {m}" for m in missing],
        )
    assert zone is not None and break_even is not None
    cheaper = mean >= break_even
    fits = capacity is None or peak <= capacity
    sensitive = leans["code_location"] == "local"
    changes: list[str] = []
    if leans["ops_owner"] == "cloud":
        reasons = ["nobody owns running local inference: cloud, even where local is cheaper"]
        if cheaper:
            reasons.append(
                f"local would be cheaper ({mean:,.0f}/day ≥ break-even {break_even:,}/day)"
            )
        changes.append("a named ops owner (golocal checklist set ops_owner NAME)")
        return Verdict.CLOUD, reasons, changes
    blockers = [
        p.id for p in checklist if p.leans == "cloud" and p.id in {"model_size", "exit_cost"}
    ]
    if sensitive:
        if cheaper and fits and not blockers:
            return (
                Verdict.LOCAL,
                [
                    "regulated/proprietary code leans local",
                    f"local is cheaper: {mean:,.0f}/day ≥ break-even "
                    f"{break_even:,}/day on {profile}",
                ],
                [f"volume falling below {break_even:,}/day"],
            )
        reasons = ["keep the regulated/proprietary code on your own hardware"]
        if cheaper:
            reasons.append(f"local is cheaper: {mean:,.0f}/day ≥ break-even {break_even:,}/day")
        else:
            reasons.append(
                f"the rest stays in the cloud: {mean:,.0f}/day is below the break-even "
                f"{break_even:,}/day on {profile}"
            )
            changes.append(f"volume above {break_even:,}/day makes local pay for everything")
        return _hybrid(reasons, changes, peak, capacity, blockers)
    if zone is Zone.BELOW:
        # Leaving the zone only opens the cost question; what changes the answer is volume
        # past the break-even (when that is the higher bar).
        threshold = max(break_even, settings.thresholds.cloud_ok_below)
        changes.append(
            f"volume above the break-even {threshold:,}/day on {profile}"
            if threshold == break_even
            else f"volume above {threshold:,}/day"
        )
        changes.append("regulated or proprietary code (golocal checklist set code_location ...)")
        return (
            Verdict.CLOUD,
            [
                f"{mean:,.0f} requests/day is below "
                f"{settings.thresholds.cloud_ok_below:,}: cloud is fine"
            ],
            changes,
        )
    if not cheaper:
        changes.append(f"volume above the break-even {break_even:,}/day on {profile}")
        changes.append("cheaper hardware or higher cloud prices (try: what if ...)")
        return (
            Verdict.CLOUD,
            [f"{mean:,.0f}/day is below the break-even {break_even:,}/day on {profile}"],
            changes,
        )
    reasons = [f"local is cheaper: {mean:,.0f}/day ≥ break-even {break_even:,}/day on {profile}"]
    if fits and not blockers:
        changes.append(f"volume falling below {break_even:,}/day")
        return Verdict.LOCAL, reasons, changes
    return _hybrid(reasons, changes, peak, capacity, blockers)
