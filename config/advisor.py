"""Settings of the advisor: the local cost model's inputs, hardware profiles, model classes.

The shipped defaults live in ``config/hardware.toml`` (data, with the source of each figure);
a user's ``[advisor]`` table overrides any scalar, adds or replaces profiles by name, and puts
its own model-class rules before the shipped ones. Money is ``Decimal``; a negative price,
a PUE below 1 or a utilisation above 1 is a configuration error naming the key.

This module imports nothing of golocal's outside ``golocal.config`` (docs/ARCHITECTURE.md,
"Folders").
"""

from __future__ import annotations

import fnmatch
import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from golocal.config.catalogue import (
    GpuSpec,
    HostClass,
    ModelSpec,
    Quant,
    shipped_gpus,
    shipped_models,
)

#: Sensitivity tags of code and of attributed cloud projects, most sensitive first.
SENSITIVITY_VALUES = ("regulated", "proprietary", "public")
ModelClass = Literal["frontier", "local_capable"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HardwareProfile(_Section):
    """A local inference box the cost model can price.

    Either spelled out (``gpus``, ``capex_usd``, ``watts``) or "N × catalogue GPU + host
    costs" (``gpu`` and ``gpus``): the missing figures are then filled in from the GPU
    catalogue by :class:`Advisor`. Without ``tokens_per_second`` the capacity comes from
    the fit/capacity physics for ``advisor.model``.
    """

    label: str = ""
    #: a GPU catalogue key ("l40s"); the figures below default to the catalogue's
    gpu: str | None = None
    gpus: int = Field(ge=1)
    hosts: int | None = Field(None, ge=1)
    capex_usd: Decimal | None = Field(None, ge=0)
    #: whole-system draw at full load, watts
    watts: float | None = Field(None, gt=0)
    #: aggregate input + output tokens/s with batching (measured); None: from physics
    tokens_per_second: float | None = Field(None, gt=0)
    #: operator hours a month this box needs (drivers, model updates, hardware)
    operator_hours_per_month: Decimal | None = Field(None, ge=0)
    source: str = ""


class ModelClassRule(_Section):
    """A glob over model ids and the class it assigns."""

    pattern: str = Field(min_length=1)
    model_class: ModelClass = Field(alias="class")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AttributionRule(_Section):
    """A cloud project / workspace / API key id mapped to a team and a sensitivity tag."""

    provider: str = ""
    kind: Literal["project", "workspace", "api_key"] = "project"
    id: str = Field(min_length=1)
    team: str | None = None
    sensitivity: Literal["regulated", "proprietary", "public"] | None = None


@cache
def shipped_defaults() -> dict[str, Any]:
    """The parsed ``hardware.toml`` shipped with golocal (profiles and model classes)."""
    text = resources.files("golocal.config").joinpath("hardware.toml").read_text("utf-8")
    return tomllib.loads(text)


def _merged(shipped: dict[str, Any], value: Any) -> Any:
    """Shipped catalogue entries, with the user's entries added or replacing them by key."""
    if isinstance(value, dict):
        return {**shipped, **value}
    return value


class Advisor(_Section):
    """``[advisor]``: what the local cost model assumes where nothing was measured."""

    #: the hardware profile the verdict prices (a key of ``profiles``); unset: the team's
    #: own GPUs from telemetry, else the smallest catalogue purchase that carries its volume
    profile: str | None = None
    #: the open model local inference would run (a key of the model catalogue)
    model: str = "qwen2.5-coder-32b"
    #: its weight format; "auto": the most precise of FP8, Q8_0, Q5_K_M, Q4_K_M that fits
    quant: str = "auto"
    electricity_usd_per_kwh: Decimal = Field(Decimal("0.15"), ge=0)
    #: power usage effectiveness of the room the box stands in (1.0 = no overhead)
    pue: Decimal = Field(Decimal("1.5"), ge=1, le=3)
    operator_usd_per_hour: Decimal = Field(Decimal("100"), ge=0)
    #: used when the profile names none
    operator_hours_per_month: Decimal = Field(Decimal("16"), ge=0)
    amortisation_months: int = Field(36, ge=1, le=120)
    other_fixed_usd_per_month: Decimal = Field(Decimal("0"), ge=0)
    #: share of the month at full power, when no GPU power was measured
    duty: Decimal = Field(Decimal("0.5"), gt=0, le=1)
    #: share of the hardware's throughput planned for steady load (the rest absorbs peaks)
    target_utilisation: Decimal = Field(Decimal("0.6"), gt=0, le=1)
    profiles: dict[str, HardwareProfile] = Field(default_factory=dict)
    gpus: dict[str, GpuSpec] = Field(default_factory=dict)
    hosts: dict[str, HostClass] = Field(default_factory=dict)
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    quants: dict[str, Quant] = Field(default_factory=dict)
    model_classes: tuple[ModelClassRule, ...] = ()
    attribution: tuple[AttributionRule, ...] = ()

    @field_validator("profiles", mode="before")
    @classmethod
    def _merge_profiles(cls, value: Any) -> Any:
        shipped = dict(shipped_defaults().get("profiles", {}))
        if isinstance(value, dict):
            shipped.update(value)
            return shipped
        return value

    @field_validator("gpus", "hosts", mode="before")
    @classmethod
    def _merge_gpus(cls, value: Any, info: Any) -> Any:
        return _merged(shipped_gpus().get(info.field_name, {}), value)

    @field_validator("models", "quants", mode="before")
    @classmethod
    def _merge_models(cls, value: Any, info: Any) -> Any:
        return _merged(shipped_models().get(info.field_name, {}), value)

    @field_validator("model_classes", mode="before")
    @classmethod
    def _merge_model_classes(cls, value: Any) -> Any:
        shipped = list(shipped_defaults().get("model_classes", []))
        if isinstance(value, list | tuple):
            return [*value, *shipped]
        return value

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        # A default-constructed section must still carry the shipped table and profiles.
        if isinstance(data, dict):
            data = dict(data)
            for key in ("profiles", "gpus", "hosts", "models", "quants"):
                data.setdefault(key, {})
            data.setdefault("model_classes", [])
        return data

    @model_validator(mode="after")
    def _known_profile(self) -> Advisor:
        if self.profile is not None and self.profile not in self.profiles:
            known = ", ".join(sorted(self.profiles))
            raise ValueError(f"advisor.profile: unknown profile {self.profile!r} (known: {known})")
        if self.model not in self.models:
            known = ", ".join(sorted(self.models))
            raise ValueError(f"advisor.model: unknown model {self.model!r} (known: {known})")
        if self.quant != "auto" and self.quant not in self.quants:
            known = ", ".join(["auto", *sorted(self.quants)])
            raise ValueError(f"advisor.quant: unknown quantisation {self.quant!r} (known: {known})")
        for key, gpu in self.gpus.items():
            if gpu.host not in self.hosts:
                raise ValueError(f"advisor.gpus.{key}.host: unknown host class {gpu.host!r}")
        for name, profile in self.profiles.items():
            if profile.gpu is not None and profile.gpu not in self.gpus:
                known = ", ".join(sorted(self.gpus))
                raise ValueError(
                    f"advisor.profiles.{name}.gpu: unknown GPU {profile.gpu!r} (known: {known})"
                )
            if profile.gpu is None and (profile.capex_usd is None or profile.watts is None):
                raise ValueError(
                    f"advisor.profiles.{name}: name a catalogue gpu, or give capex_usd and watts"
                )
        # Fill catalogue-based profiles in, so every profile has its capex and watts.
        filled = {name: self.resolve(profile) for name, profile in self.profiles.items()}
        object.__setattr__(self, "profiles", filled)
        return self

    def resolve(self, profile: HardwareProfile) -> HardwareProfile:
        """A profile with capex, watts, hosts and label filled in from the catalogue."""
        if profile.gpu is None:
            return profile
        gpu = self.gpus[profile.gpu]
        host = self.hosts[gpu.host]
        hosts = profile.hosts or -(-profile.gpus // gpu.per_host)
        capex = gpu.price_usd * profile.gpus + host.capex_usd * hosts
        watts = gpu.board_watts * profile.gpus + host.watts * hosts
        return profile.model_copy(
            update={
                "label": profile.label or f"{profile.gpus}× {gpu.label}",
                "hosts": hosts,
                "capex_usd": capex if profile.capex_usd is None else profile.capex_usd,
                "watts": watts if profile.watts is None else profile.watts,
            }
        )

    def catalogue_profile(self, gpu: str, count: int) -> HardwareProfile:
        """``count`` × a catalogue GPU + its host costs, as a profile."""
        return self.resolve(HardwareProfile(gpu=gpu, gpus=count, source="GPU catalogue"))

    def classify_model(self, model: str) -> ModelClass | None:
        """The class of a model id, or ``None`` if no rule matches (shown as unclassified)."""
        name = model.lower()
        if name.startswith("ft:") and name.count(":") >= 2:
            # ft:<base>:<org>:<name>:<id> — the base model decides what it needs
            name = name.split(":")[1]
        candidates = (name, name.rsplit("/", 1)[-1])  # "Qwen/Qwen2.5-Coder-32B" → repo name
        for rule in self.model_classes:
            pattern = rule.pattern.lower()
            if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
                return rule.model_class
        return None
