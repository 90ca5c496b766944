"""Model fit and capacity from physics: memory, KV cache, bandwidth-bound decoding.

Pure functions over catalogue entries (:mod:`golocal.config.catalogue`):

* weights = parameters × bits per weight / 8 (the quantisation's bits, scales included);
* KV cache per token = 2 (K and V) × layers × KV heads × head dim × bytes per element
  (one latent vector per layer for multi-head latent attention; sliding-window layers hold
  at most their window);
* sessions that fit = (usable memory − weights) / KV cache of one session of the context;
* single-stream decode tokens/s = memory bandwidth × decode efficiency / bytes read per token
  (the weights used per token, plus the session's KV cache);
* batched capacity: a replica serving B sessions reads its weights once per step and each
  session's KV cache, so a step takes (weights + B × KV) / bandwidth and yields B tokens;
  prompt tokens are compute-bound: 2 × active parameters FLOPs each at ``PREFILL_MFU`` of
  the GPU's dense BF16 throughput.

A replica spans the fewest GPUs whose memory holds the weights and one session (tensor
parallel); the remaining GPUs hold further replicas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from golocal.config.catalogue import GpuSpec, ModelSpec, Quant

GIB = 1024**3
#: Share of GPU memory the serving engine may use (vLLM's default gpu_memory_utilization).
USABLE_MEMORY = 0.9
#: Share of dense BF16 throughput prompt processing reaches (model FLOPs utilisation).
PREFILL_MFU = 0.4
#: KV cache element size: engines keep it in FP16/BF16 unless told otherwise.
KV_BYTES = 2
#: Concurrent sessions a replica is planned with at most (engines' default max_num_seqs).
MAX_BATCH = 256
#: Weight formats "auto" tries, most precise first.
AUTO_QUANTS = ("FP8", "Q8_0", "Q5_K_M", "Q4_K_M")
#: GPUs one model replica may span (tensor parallel within a node).
MAX_SPAN = 8


def weights_bytes(model: ModelSpec, quant: Quant) -> float:
    """Bytes of the model's weights in a quantisation."""
    return model.params_b * 1e9 * quant.bits_per_weight / 8


def kv_bytes_per_token(model: ModelSpec, kv_bytes: int = KV_BYTES) -> int:
    """KV-cache bytes one token adds on full-attention layers (all layers counted)."""
    if model.kv_latent_dim is not None:
        return model.layers * model.kv_latent_dim * kv_bytes
    return 2 * model.layers * model.kv_heads * model.head_dim * kv_bytes


def kv_bytes_per_session(model: ModelSpec, context: int, kv_bytes: int = KV_BYTES) -> float:
    """KV-cache bytes of one session holding ``context`` tokens."""
    per_layer = kv_bytes_per_token(model, kv_bytes) / model.layers
    full = model.layers - model.sliding_layers
    sliding = model.sliding_layers * min(context, model.sliding_window or context)
    return per_layer * (full * context + sliding)


def decode_tokens_per_s(
    model: ModelSpec, quant: Quant, gpu: GpuSpec, span: int, context: int
) -> float:
    """Single-stream decode rate on a replica spanning ``span`` GPUs (bandwidth bound)."""
    active = model.active_b * 1e9 * quant.bits_per_weight / 8
    per_token = active + kv_bytes_per_session(model, context)
    return gpu.bandwidth_gb_s * 1e9 * span * gpu.decode_efficiency / per_token


@dataclass(frozen=True)
class Fit:
    """Whether (and how well) a model runs on ``count`` × a GPU."""

    model: str
    quant: str
    gpu: str
    count: int
    context_tokens: int
    fits: bool
    weights_gib: float
    kv_gib_per_session: float
    #: GPUs one replica spans, replicas on the GPUs, sessions over all replicas
    span: int
    replicas: int
    max_sessions: int
    decode_tokens_per_s: float | None
    reason: str = ""
    calibrated: bool = False
    calibration: str = ""
    sources: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "quant": self.quant,
            "gpu": self.gpu,
            "count": self.count,
            "fits": self.fits,
            "weights_gib": round(self.weights_gib, 1),
            "kv_gib_per_session": round(self.kv_gib_per_session, 2),
            "max_sessions": self.max_sessions,
            "replicas": self.replicas,
            "gpus_per_replica": self.span,
            "context_tokens": self.context_tokens,
            "decode_tokens_per_s": None
            if self.decode_tokens_per_s is None
            else round(self.decode_tokens_per_s, 1),
            "calibrated": self.calibrated,
            "calibration": self.calibration or None,
            "reason": self.reason or None,
            "sources": self.sources,
        }


def _span(weights: float, session: float, gpu: GpuSpec, count: int) -> int | None:
    """Fewest GPUs (a power of two, as tensor parallelism needs) holding weights + a session."""
    span = 1
    while span <= min(count, MAX_SPAN):
        if gpu.memory_gib * GIB * USABLE_MEMORY * span >= weights + session:
            return span
        span *= 2
    return None


def fit(
    model_key: str,
    model: ModelSpec,
    quant_key: str,
    quant: Quant,
    gpu_key: str,
    gpu: GpuSpec,
    count: int,
    context: int,
) -> Fit:
    """Fit ``model`` in ``quant`` on ``count`` × ``gpu`` with sessions of ``context`` tokens."""
    weights = weights_bytes(model, quant)
    session = kv_bytes_per_session(model, context)
    sources = [model.source, quant.source, gpu.source]
    common: dict[str, Any] = {
        "model": model_key,
        "quant": quant_key,
        "gpu": gpu_key,
        "count": count,
        "context_tokens": context,
        "weights_gib": weights / GIB,
        "kv_gib_per_session": session / GIB,
        "sources": [s for s in sources if s],
    }
    reason = ""
    if context > model.context_tokens:
        reason = f"{context:,} tokens exceed the model's context of {model.context_tokens:,}"
    span = _span(weights, session, gpu, count)
    if span is None or reason:
        total = gpu.memory_gib * min(count, MAX_SPAN) * USABLE_MEMORY
        reason = reason or (
            f"needs {(weights + session) / GIB:,.1f} GiB for the weights and one session; "
            f"{min(count, MAX_SPAN)} × {gpu.memory_gib:g} GiB offers {total:,.1f} GiB usable"
        )
        return Fit(
            **common,
            fits=False,
            span=0,
            replicas=0,
            max_sessions=0,
            decode_tokens_per_s=None,
            reason=reason,
        )
    replicas = count // span
    free = gpu.memory_gib * GIB * USABLE_MEMORY * span - weights
    per_replica = min(MAX_BATCH, math.floor(free / session))
    return Fit(
        **common,
        fits=True,
        span=span,
        replicas=replicas,
        max_sessions=per_replica * replicas,
        decode_tokens_per_s=decode_tokens_per_s(model, quant, gpu, span, context),
    )


def auto_quant(
    model: ModelSpec, quants: dict[str, Quant], gpu: GpuSpec, count: int, context: int
) -> str:
    """The most precise of :data:`AUTO_QUANTS` that fits, else the smallest one."""
    for key in AUTO_QUANTS:
        if key in quants:
            weights = weights_bytes(model, quants[key])
            if _span(weights, kv_bytes_per_session(model, context), gpu, count) is not None:
                return key
    return min(quants, key=lambda k: quants[k].bits_per_weight)


def decode_step_s(
    result: Fit,
    model: ModelSpec,
    quant: Quant,
    gpu: GpuSpec,
    input_tokens: float,
    output_tokens: float,
    batch: float,
) -> float:
    """Seconds one batched decode step of ``batch`` sequences takes (bandwidth bound)."""
    bandwidth = gpu.bandwidth_gb_s * 1e9 * result.span * gpu.decode_efficiency
    # Batched decoding touches (nearly) every expert: all weights are read each step.
    weights = weights_bytes(model, quant)
    kv_mean = kv_bytes_per_session(model, int(input_tokens + output_tokens / 2))
    return (weights + batch * kv_mean) / bandwidth


def requests_per_day(
    result: Fit,
    model: ModelSpec,
    quant: Quant,
    gpu: GpuSpec,
    input_tokens: float,
    output_tokens: float,
    utilisation: float,
    decode_scale: float = 1.0,
) -> int:
    """Requests a day the GPUs serve at ``utilisation`` with batched decoding.

    Each replica serves up to its sessions at once; a request costs its prompt's prefill
    (compute bound) and its share of the batched decode steps (bandwidth bound).
    ``decode_scale`` is measured over physics decode speed (1: physics only).
    """
    if not result.fits or result.replicas == 0:
        return 0
    batch = result.max_sessions // result.replicas
    step = decode_step_s(result, model, quant, gpu, input_tokens, output_tokens, batch)
    decode_s = output_tokens * step / batch / decode_scale
    flops = gpu.bf16_tflops * 1e12 * result.span * PREFILL_MFU
    prefill_s = input_tokens * 2 * model.active_b * 1e9 / flops
    per_replica = 86400 * utilisation / (decode_s + prefill_s)
    return math.floor(per_replica * result.replicas)
