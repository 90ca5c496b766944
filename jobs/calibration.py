"""Calibrating the physics with what the team's own inference servers measured.

A server's hourly rollups give the tokens it generated and the integral of its running
sequences; their ratio is the decode rate one sequence really got, at the batch sizes the
server ran. Where a server runs the catalogue model asked about (matched by its model id),
that measured rate replaces the bandwidth-bound estimate, and the answer says so.

The verdict's capacity is calibrated the same way: the measured per-sequence rate over the
physics' rate at the servers' measured mean concurrency scales the batched decode time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from golocal.config.advisor import Advisor
from golocal.config.catalogue import GpuSpec, ModelSpec, Quant, find_in, lookup
from golocal.db.inventory import ServerDecode
from golocal.jobs.fit import Fit, decode_step_s


def server_model_key(server: ServerDecode, advisor: Advisor) -> str | None:
    """The catalogue model a server runs ("Qwen/Qwen2.5-Coder-32B-Instruct" → qwen2.5-coder-32b)."""
    if not server.model:
        return None
    name = server.model.rsplit("/", 1)[-1]
    return lookup(name, advisor.models) or find_in(name.replace("-Instruct", ""), advisor.models)


def _running(
    servers: Sequence[ServerDecode], advisor: Advisor, model: str | None
) -> list[ServerDecode]:
    """The servers running catalogue ``model``; each served model name is looked up once
    (a fleet runs one model on a hundred servers)."""
    keys: dict[str | None, str | None] = {}
    for server in servers:
        if server.model not in keys:
            keys[server.model] = server_model_key(server, advisor)
    return [s for s in servers if keys[s.model] == model]


@dataclass(frozen=True, slots=True)
class DecodeScale:
    """Measured over physics decode speed for one fit, and how it was measured."""

    scale: float
    note: str


def decode_scale(
    result: Fit,
    servers: Sequence[ServerDecode],
    advisor: Advisor,
    spec: tuple[ModelSpec, Quant, GpuSpec],
    tokens: tuple[float, float],
) -> DecodeScale | None:
    """How much faster (>1) or slower the team's servers running ``result.model`` decode
    than the physics at their measured mean concurrency; ``None`` without a measurement."""
    if not result.fits or result.replicas == 0:
        return None
    same = _running(servers, advisor, result.model)
    generated = sum(s.generation_tokens for s in same)
    seconds = sum(s.sequence_seconds for s in same)
    hours = sum(s.hours for s in same)
    if generated <= 0 or seconds <= 0 or hours <= 0:
        return None
    measured = generated / seconds
    batch = result.max_sessions // result.replicas
    concurrency = min(max(1.0, seconds / (hours * 3600)), float(max(1, batch)))
    model, quant, gpu = spec
    physics = 1 / decode_step_s(result, model, quant, gpu, *tokens, concurrency)
    names = ", ".join(s.server for s in same[:3]) + ("…" if len(same) > 3 else "")
    note = (
        f"calibrated: {measured:,.1f} tok/s per sequence measured on {names} at "
        f"{concurrency:,.1f} concurrent over {hours:,} server-hours "
        f"(physics {physics:,.1f} tok/s)"
    )
    return DecodeScale(measured / physics, note)


def calibrate(result: Fit, servers: list[ServerDecode], advisor: Advisor) -> Fit:
    """``result`` with its decode rate measured on the team's servers running its model."""
    if not result.fits:
        return result
    same = _running(servers, advisor, result.model)
    if not same:
        return result
    tokens = sum(s.generation_tokens for s in same)
    seconds = sum(s.sequence_seconds for s in same)
    if tokens <= 0 or seconds <= 0:
        return result
    measured = tokens / seconds
    names = ", ".join(s.server for s in same[:3]) + ("…" if len(same) > 3 else "")
    hours = sum(s.hours for s in same)
    estimate = result.decode_tokens_per_s or 0.0
    note = (
        f"measured {measured:,.1f} tok/s per running sequence on {names} over {hours:,} "
        f"server-hours (physics estimate {estimate:,.1f} tok/s single-stream)"
    )
    return replace(result, decode_tokens_per_s=measured, calibrated=True, calibration=note)
