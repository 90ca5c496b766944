"""The GPU and model catalogues: shipped data (``gpus.toml``, ``models.toml``) as typed values.

Each entry carries the source of its figures. A user's ``[advisor.gpus.<key>]`` and
``[advisor.models.<key>]`` tables add entries or replace shipped ones by key (see
:class:`~golocal.config.advisor.Advisor`). Lookups by name accept what NVML reports
("NVIDIA H100 80GB HBM3"), catalogue keys ("h100-sxm") and the words people use ("H100",
"4090"); an unknown name gets the nearest catalogue names for a "did you mean …?" reply.

This module imports nothing else of golocal's (docs/ARCHITECTURE.md, "Folders").
"""

from __future__ import annotations

import difflib
import re
import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HostClass(_Entry):
    """What a host adds to the GPUs in it: chassis/CPU capex and power at load."""

    label: str
    capex_usd: Decimal = Field(ge=0)
    watts: float = Field(ge=0)
    source: str = ""


class GpuSpec(_Entry):
    """One catalogue GPU: datasheet figures, prices and the host class it goes into."""

    label: str
    names: tuple[str, ...] = ()
    memory_gib: float = Field(gt=0)
    bandwidth_gb_s: float = Field(gt=0)
    board_watts: float = Field(gt=0)
    bf16_tflops: float = Field(gt=0)
    price_usd: Decimal = Field(ge=0)
    rental_usd_per_hour: Decimal | None = Field(None, ge=0)
    host: str = "server"
    per_host: int = Field(8, ge=1, le=64)
    decode_efficiency: float = Field(0.75, gt=0, le=1)
    source: str = ""


class ModelSpec(_Entry):
    """One catalogue model: the architecture figures that size its weights and KV cache."""

    label: str
    repo: str = ""
    names: tuple[str, ...] = ()
    params_b: float = Field(gt=0, le=10_000)
    active_params_b: float | None = Field(None, gt=0)
    layers: int = Field(gt=0, le=1000)
    kv_heads: int = Field(gt=0, le=1024)
    head_dim: int = Field(gt=0, le=4096)
    context_tokens: int = Field(gt=0)
    #: multi-head latent attention: one compressed vector of this size per layer and token
    kv_latent_dim: int | None = Field(None, gt=0)
    sliding_layers: int = Field(0, ge=0)
    sliding_window: int | None = Field(None, gt=0)
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        if self.active_params_b is not None and self.active_params_b > self.params_b:
            raise ValueError("active_params_b can't exceed params_b")
        if self.sliding_layers > self.layers:
            raise ValueError("sliding_layers can't exceed layers")
        if self.sliding_layers and self.sliding_window is None:
            raise ValueError("sliding_layers needs sliding_window")
        return self

    @property
    def active_b(self) -> float:
        """Parameters used per token (all of them for a dense model)."""
        return self.active_params_b or self.params_b


class Quant(_Entry):
    """A weight format and its bits per weight as stored (scales included)."""

    bits_per_weight: float = Field(gt=0, le=32)
    source: str = ""


def _read(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("golocal.config").joinpath(name).read_text("utf-8"))


@cache
def shipped_gpus() -> dict[str, Any]:
    """The parsed ``gpus.toml`` (``hosts`` and ``gpus`` tables)."""
    return _read("gpus.toml")


@cache
def shipped_models() -> dict[str, Any]:
    """The parsed ``models.toml`` (``models`` and ``quants`` tables)."""
    return _read("models.toml")


def _squash(text: str) -> str:
    """A name reduced for matching: lower case, no vendor words, no spaces or punctuation."""
    text = text.lower().replace("×", "x")
    text = re.sub(r"\b(nvidia|geforce|amd|instinct|apple|the|a|an)\b", " ", text)
    return re.sub(r"[^a-z0-9.]+", "", text)


def _index(entries: dict[str, Any]) -> dict[str, str]:
    """Every squashed name of every entry → its key (keys, labels and listed names)."""
    index: dict[str, str] = {}
    for key, entry in entries.items():
        for name in (key, entry.label, *entry.names):
            index.setdefault(_squash(name), key)
    return index


def lookup(text: str, entries: dict[str, Any]) -> str | None:
    """The key of the entry ``text`` names exactly (after squashing), else ``None``."""
    return _index(entries).get(_squash(text))


def name_pattern(name: str) -> str:
    """A regex for a name in running text: flexible spaces/dashes, whole words, plural allowed."""
    parts = [re.escape(p) for p in re.split(r"[\s-]+", name.strip()) if p]
    return r"(?<![a-z0-9.])" + r"[\s-]*".join(parts) + r"(?:'?s)?(?![a-z0-9])"


def split_counts(text: str) -> str:
    """ "4xH100", "8×H200", "2x4090" → "4 x H100": the count is not part of the name."""
    return re.sub(r"(\d)\s*[x×*]\s*(?=[a-z]|\d{4})", r"\1 x ", text, flags=re.IGNORECASE)


def find_in(text: str, entries: dict[str, Any]) -> str | None:
    """The entry whose longest name occurs in ``text`` ("what fits on 2 RTX 4090s?" → rtx-4090).

    Names match as whole words, so "fell 40%" never reads as an L4.
    """
    text = split_counts(text)
    best: tuple[int, str] | None = None
    for key, entry in entries.items():
        for name in (key, entry.label, *entry.names):
            match = re.search(name_pattern(name), text, re.IGNORECASE)
            if match and (best is None or len(match.group(0)) > best[0]):
                best = (len(match.group(0)), key)
    return best[1] if best else None


def suggestions(text: str, entries: dict[str, Any], limit: int = 3) -> list[str]:
    """Labels of the entries nearest to an unknown name, best first."""
    index = _index(entries)
    close = difflib.get_close_matches(_squash(text), list(index), n=limit * 3, cutoff=0.4)
    labels: list[str] = []
    for name in close:
        label = entries[index[name]].label
        if label not in labels:
            labels.append(label)
    return labels[:limit]
