"""Which hardware the verdict prices: the team's own fleet, a named profile, or a purchase.

* ``measured``: the GPUs telemetry saw in the window (NVML, agents, DCGM), matched to the
  GPU catalogue by the name the driver reports. They are owned: their capex is sunk and
  reported, not charged again; their energy is their measured load.
* ``catalogue``: a configured profile or a what-if ("2 RTX 4090s", "a node of 8 H200"),
  "N × catalogue GPU + host costs".
* ``recommended``: a team without GPUs gets the cheapest catalogue configuration whose
  capacity for ``advisor.model`` carries its measured peak day at the target utilisation.

Capacity comes from the fit/capacity physics (:mod:`golocal.jobs.fit`) at the measured
tokens per request, unless a profile states a measured ``tokens_per_second``. The team's
own GPUs' capacity is calibrated by what their inference servers measured, where one runs
the model (:func:`golocal.jobs.calibration.decode_scale`); ``calibration`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from golocal.config.advisor import Advisor, HardwareProfile
from golocal.config.catalogue import find_in, lookup
from golocal.db.inventory import GpuGroup, ServerDecode
from golocal.jobs.calibration import decode_scale
from golocal.jobs.costmodel import HOURS_PER_MONTH, capacity_requests_per_day
from golocal.jobs.fit import Fit, auto_quant, fit, requests_per_day

#: Most GPUs of one kind a recommendation considers (eight full HGX nodes).
MAX_RECOMMENDED = 64


@dataclass(frozen=True)
class GpuLine:
    """GPUs of one kind in the hardware priced."""

    model: str
    count: int
    memory_gib: float | None
    #: its catalogue key, or None when the catalogue does not know it
    catalogue: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "count": self.count,
            "memory_gib": None if self.memory_gib is None else round(self.memory_gib),
            "catalogue": self.catalogue,
        }


@dataclass(frozen=True)
class Hardware:
    """The hardware an answer prices, where it came from, and what it can carry."""

    source: str  # measured | catalogue | recommended
    name: str
    profile: HardwareProfile
    gpus: list[GpuLine]
    hosts: int
    owned: bool = False
    util_mean: float | None = None
    capacity: int | None = None
    fits: list[Fit] = field(default_factory=list)
    #: why the capacity is unknown or limited ("GPU not in the catalogue", "model does not fit")
    notes: list[str] = field(default_factory=list)
    #: the share of throughput the capacity is planned at (advisor.target_utilisation)
    target_utilisation: float = 0.6
    #: what renting the same GPUs costs an hour (catalogue rental prices); None if unknown
    rental_usd_per_hour: Decimal | None = None
    #: how the capacity was calibrated by measured throughput ("" = physics only)
    calibration: str = ""

    @property
    def purchase_usd(self) -> Decimal:
        """What buying it costs (nothing for hardware the team owns)."""
        return Decimal(0) if self.owned else (self.profile.capex_usd or Decimal(0))

    @property
    def model_text(self) -> str:
        """ "qwen2.5-coder-32b (FP8)": the model and format the capacity is sized for."""
        fitted = [f for f in self.fits if f.fits]
        return f"{fitted[0].model} ({fitted[0].quant})" if fitted else ""

    @property
    def label(self) -> str:
        return ", ".join(f"{line.count}× {line.model}" for line in self.gpus) or self.name

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "name": self.name,
            "gpus": [line.as_json() for line in self.gpus],
            "hosts": self.hosts,
            "owned": self.owned,
            "purchase_usd": str(self.purchase_usd.quantize(Decimal("0.01"))),
            "owned_capex_usd": str((self.profile.capex_usd or Decimal(0)).quantize(Decimal("0.01")))
            if self.owned
            else None,
            "util_mean": None if self.util_mean is None else round(self.util_mean, 3),
            "rental_monthly_usd": None
            if self.rental_usd_per_hour is None
            else str((self.rental_usd_per_hour * HOURS_PER_MONTH).quantize(Decimal("0.01"))),
            "capacity_requests_per_day": self.capacity,
            "capacity_calibrated": bool(self.calibration),
            "capacity_calibration": self.calibration or None,
            "fit": [f.as_json() | {"sources": None} for f in self.fits],
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Load:
    """What the hardware must carry: tokens per request, split into prompt and output."""

    input_tokens: float
    output_tokens: float

    @property
    def context(self) -> int:
        return max(1, math.ceil(self.input_tokens + self.output_tokens))


def _capacity(
    advisor: Advisor,
    parts: list[tuple[str, int]],
    load: Load | None,
    servers: Sequence[ServerDecode] = (),
) -> tuple[int | None, list[Fit], list[str], str]:
    """Requests/day of catalogue GPU groups for ``advisor.model``, summed, with each fit
    and, where ``servers`` measured the model, how the decode speed was calibrated."""
    if load is None:
        return None, [], ["no tokens per request measured: capacity unknown"], ""
    model = advisor.models[advisor.model]
    total, fits, notes, calibrations = 0, [], [], []
    for key, count in parts:
        gpu = advisor.gpus[key]
        context = min(load.context, model.context_tokens)
        quant = (
            advisor.quant
            if advisor.quant != "auto"
            else auto_quant(model, advisor.quants, gpu, count, context)
        )
        result = fit(advisor.model, model, quant, advisor.quants[quant], key, gpu, count, context)
        fits.append(result)
        if not result.fits:
            notes.append(f"{model.label} does not fit {count}× {gpu.label}: {result.reason}")
            continue
        tokens = (load.input_tokens, load.output_tokens)
        spec = (model, advisor.quants[quant], gpu)
        scaled = decode_scale(result, servers, advisor, spec, tokens)
        if scaled is not None:
            calibrations.append(scaled.note)
        total += requests_per_day(
            result,
            *spec,
            *tokens,
            float(advisor.target_utilisation),
            decode_scale=scaled.scale if scaled is not None else 1.0,
        )
    return total, fits, notes, "; ".join(dict.fromkeys(calibrations))


def rental_per_hour(advisor: Advisor, parts: list[tuple[str, int]]) -> Decimal | None:
    """Renting the same GPUs on demand, an hour (None when one has no rental price)."""
    rates = [advisor.gpus[key].rental_usd_per_hour for key, _ in parts]
    if not parts or any(rate is None for rate in rates):
        return None
    return sum(
        (rate * count for rate, (_, count) in zip(rates, parts, strict=True) if rate), Decimal(0)
    )


def _profile_capacity(profile: HardwareProfile, advisor: Advisor, load: Load | None) -> int | None:
    """A measured ``tokens_per_second`` × 86,400 × target utilisation / tokens per request."""
    if load is None:
        return None
    tokens = Decimal(str(load.input_tokens + load.output_tokens))
    return capacity_requests_per_day(profile, advisor.target_utilisation, tokens)


def catalogue_hardware(
    advisor: Advisor, name: str, profile: HardwareProfile, load: Load | None, source: str
) -> Hardware:
    """A profile (named, or "N × GPU" from a what-if) as hardware with its capacity."""
    profile = advisor.resolve(profile)
    gpu = advisor.gpus.get(profile.gpu) if profile.gpu else None
    lines = [
        GpuLine(
            model=gpu.label if gpu else profile.label,
            count=profile.gpus,
            memory_gib=gpu.memory_gib if gpu else None,
            catalogue=profile.gpu,
        )
    ]
    measured = _profile_capacity(profile, advisor, load)
    rental = rental_per_hour(advisor, [(profile.gpu, profile.gpus)]) if profile.gpu else None
    if measured is not None or profile.gpu is None:
        notes = [] if measured is not None else ["no GPU named: capacity needs tokens_per_second"]
        return Hardware(
            source,
            name,
            profile,
            lines,
            profile.hosts or 1,
            capacity=measured,
            notes=notes,
            target_utilisation=float(advisor.target_utilisation),
            rental_usd_per_hour=rental,
        )
    capacity, fits, notes, _ = _capacity(advisor, [(profile.gpu, profile.gpus)], load)
    return Hardware(
        source,
        name,
        profile,
        lines,
        profile.hosts or 1,
        capacity=capacity,
        fits=fits,
        notes=notes,
        target_utilisation=float(advisor.target_utilisation),
        rental_usd_per_hour=rental,
    )


def fleet_hardware(
    advisor: Advisor,
    groups: list[GpuGroup],
    load: Load | None,
    servers: Sequence[ServerDecode] = (),
) -> Hardware | None:
    """The team's own GPUs from telemetry, priced by the catalogue; ``None`` without any.

    ``servers``: what the team's inference servers measured (they run on these GPUs), to
    calibrate the capacity with."""
    if not groups:
        return None
    lines, parts, notes = [], [], []
    capex, watts = Decimal(0), 0.0
    hosts = max(g.hosts for g in groups)
    for group in groups:
        key = lookup(group.name, advisor.gpus) or find_in(group.name, advisor.gpus)
        memory = None if group.memory_mib is None else group.memory_mib / 1024
        lines.append(GpuLine(group.name, group.count, memory, key))
        if key is None:
            notes.append(f"{group.name} is not in the GPU catalogue: its capacity is unknown")
            continue
        parts.append((key, group.count))
        gpu = advisor.gpus[key]
        host = advisor.hosts[gpu.host]
        capex += gpu.price_usd * group.count + host.capex_usd * group.hosts
        watts += gpu.board_watts * group.count + host.watts * group.hosts
    count = sum(g.count for g in groups)
    profile = HardwareProfile(
        label=", ".join(f"{line.count}× {line.model}" for line in lines),
        gpus=count,
        hosts=hosts,
        capex_usd=capex,
        # an unknown GPU still draws power: its measured mean stands in for a board figure
        watts=watts or sum((g.power_mean_w or 300.0) * g.count for g in groups),
        source="GPU telemetry, priced by the GPU catalogue",
    )
    capacity, fits, fit_notes, calibration = (
        _capacity(advisor, parts, load, servers) if parts else (None, [], [], "")
    )
    busy = [g for g in groups if g.util_mean is not None]
    util = (
        sum((g.util_mean or 0.0) * g.count for g in busy) / sum(g.count for g in busy)
        if busy
        else None
    )
    return Hardware(
        source="measured",
        name="your GPUs",
        profile=profile,
        gpus=lines,
        hosts=hosts,
        owned=True,
        util_mean=util,
        capacity=capacity,
        fits=fits,
        notes=notes + fit_notes,
        target_utilisation=float(advisor.target_utilisation),
        rental_usd_per_hour=rental_per_hour(advisor, parts) if len(parts) == len(groups) else None,
        calibration=calibration,
    )


def recommend(advisor: Advisor, peak_per_day: float, load: Load | None) -> Hardware | None:
    """The cheapest catalogue configuration carrying ``peak_per_day`` (``None`` if none does)."""
    if load is None:
        return None
    best: Hardware | None = None
    for key in advisor.gpus:
        for count in range(1, MAX_RECOMMENDED + 1):
            profile = advisor.catalogue_profile(key, count)
            if best is not None and (profile.capex_usd or 0) >= best.purchase_usd:
                break  # more of this GPU only costs more
            option = catalogue_hardware(advisor, profile.label, profile, load, source="recommended")
            if option.capacity is not None and option.capacity >= peak_per_day:
                best = option
                break
    return best


def with_capacity(hardware: Hardware, capacity: int | None, note: str) -> Hardware:
    """The same hardware with its capacity replaced (calibrated) and the reason noted."""
    return replace(hardware, capacity=capacity, notes=[*hardware.notes, note])


def spare_capacity(capacity: int | None, mean: float, cloud_share: float | None) -> int | None:
    """Capacity left beside today's local load (requests/day), never below zero."""
    if capacity is None:
        return None
    local = mean * (1 - cloud_share) if cloud_share is not None else 0.0
    return max(0, capacity - round(local))
