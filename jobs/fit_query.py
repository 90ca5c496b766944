"""A fit question in words ("Qwen2.5-Coder 32B on 2 RTX 4090s") resolved against the catalogues.

Names are looked up in the advisor's catalogues; an unknown one is refused with the nearest
catalogue names ("did you mean RTX 4090?"), a count outside 1…:data:`MAX_GPUS` or a context
outside 1…the model's context with a sentence saying what is allowed. Used by ``golocal fit``
and the chat's fit handler, so both answer the same.
"""

from __future__ import annotations

from typing import Any

from golocal.config.advisor import Advisor
from golocal.config.catalogue import lookup, suggestions
from golocal.errors import UsageError
from golocal.jobs.fit import Fit, auto_quant, fit

#: The most GPUs a fit or what-if question may name (a large cluster, not a typo).
MAX_GPUS = 4096
#: Context assumed when neither the question nor measurements say (tokens per session).
DEFAULT_CONTEXT = 8192


def resolve(kind: str, text: str, entries: dict[str, Any]) -> str:
    """The catalogue key ``text`` names, or a :class:`UsageError` with suggestions."""
    key = lookup(text, entries)
    if key is not None:
        return key
    near = suggestions(text, entries)
    hint = f" — did you mean {' or '.join(near)}?" if near else ""
    known = ", ".join(entries[k].label for k in sorted(entries))
    raise UsageError(f"unknown {kind} {text!r}{hint} (catalogue: {known})")


def check_count(count: int) -> int:
    """A GPU count a person could mean: 1 to :data:`MAX_GPUS`."""
    if count < 1:
        raise UsageError(f"a GPU count must be at least 1 (got {count:,})")
    if count > MAX_GPUS:
        raise UsageError(f"{count:,} GPUs is more than golocal sizes (at most {MAX_GPUS:,})")
    return count


def fit_for(
    advisor: Advisor,
    model: str,
    gpu: str,
    count: int,
    quant: str | None = None,
    context: int | None = None,
) -> Fit:
    """Resolve the names and run the physics; bad input raises :class:`UsageError`."""
    model_key = model if model in advisor.models else resolve("model", model, advisor.models)
    gpu_key = gpu if gpu in advisor.gpus else resolve("GPU", gpu, advisor.gpus)
    spec = advisor.models[model_key]
    count = check_count(count)
    context = DEFAULT_CONTEXT if context is None else context
    if context < 1:
        raise UsageError(f"a context must be at least 1 token (got {context:,})")
    if context > spec.context_tokens:
        raise UsageError(
            f"{context:,} tokens exceed {spec.label}'s context of {spec.context_tokens:,}"
        )
    if quant is None or quant.lower() == "auto":
        quant_key = auto_quant(spec, advisor.quants, advisor.gpus[gpu_key], count, context)
    else:
        quant_key = next((k for k in advisor.quants if k.lower() == quant.lower()), "")
        if not quant_key:
            known = ", ".join(["auto", *advisor.quants])
            raise UsageError(f"unknown quantisation {quant!r} (known: {known})")
    return fit(
        model_key,
        spec,
        quant_key,
        advisor.quants[quant_key],
        gpu_key,
        advisor.gpus[gpu_key],
        count,
        context,
    )
