"""Settings of the advisor: the local cost model's inputs, hardware profiles, model classes.

The shipped defaults live in ``config/hardware.toml`` (data, with the source of each figure);
a user's ``[advisor]`` table overrides any scalar, adds or replaces profiles by name, and puts
its own model-class rules before the shipped ones. Money is ``Decimal``; a negative price,
a PUE below 1 or a utilisation above 1 is a configuration error naming the key.

This module imports nothing else of golocal's (docs/ARCHITECTURE.md, "Folders").
"""

from __future__ import annotations

import fnmatch
import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Sensitivity tags of code and of attributed cloud projects, most sensitive first.
SENSITIVITY_VALUES = ("regulated", "proprietary", "public")
ModelClass = Literal["frontier", "local_capable"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HardwareProfile(_Section):
    """A local inference box the cost model can price."""

    label: str
    gpus: int = Field(ge=1)
    capex_usd: Decimal = Field(ge=0)
    #: whole-system draw at full load, watts
    watts: float = Field(gt=0)
    #: aggregate input + output tokens/s with batching, for a 7B–30B coding model
    tokens_per_second: float = Field(gt=0)
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


class Advisor(_Section):
    """``[advisor]``: what the local cost model assumes where nothing was measured."""

    #: the hardware profile the verdict prices (a key of ``profiles``)
    profile: str = "l40s-server"
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
            data.setdefault("profiles", {})
            data.setdefault("model_classes", [])
        return data

    @model_validator(mode="after")
    def _known_profile(self) -> Advisor:
        if self.profile not in self.profiles:
            known = ", ".join(sorted(self.profiles))
            raise ValueError(f"advisor.profile: unknown profile {self.profile!r} (known: {known})")
        return self

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
