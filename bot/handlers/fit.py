"""Model fit answers: "can we run Qwen2.5-Coder 32B on our GPUs?", "what fits on 2 RTX 4090s?".

:func:`fit_reply` is shared by ``golocal fit`` and chat, so both give the same figures. "Our
GPUs" are the team's own from telemetry; the context is the team's measured tokens per
request unless the question names one; the decode rate is calibrated by the team's own
inference servers where one runs the model asked about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from golocal.bot.chat import intent
from golocal.bot.hardware_phrases import find_gpu_phrase, find_model
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.config.advisor import Advisor
from golocal.config.catalogue import find_in, lookup
from golocal.db.inventory import GpuGroup, gpu_inventory, server_decode
from golocal.db.usage import source_days
from golocal.errors import UsageError
from golocal.jobs.calibration import calibrate
from golocal.jobs.fit import Fit
from golocal.jobs.fit_query import DEFAULT_CONTEXT, MAX_GPUS, fit_for
from golocal.jobs.request_estimate import measured_tokens_per_request


@dataclass(frozen=True)
class Context:
    """What a fit answer takes from the team's data: its GPUs and its measured context."""

    fleet: list[GpuGroup]
    tokens_per_request: int | None


def team_context(services: Services) -> Context:
    """The GPUs seen and tokens per request measured over the configured window."""
    settings = services.settings
    until = services.now().date()
    since = until - timedelta(days=max(settings.volume.window_days, settings.volume.min_days))
    rows = source_days(services.database, since, until)
    measured = measured_tokens_per_request(rows, 0) if rows else 0
    return Context(gpu_inventory(services.database, since, until), measured or None)


def fleet_gpu(advisor: Advisor, fleet: list[GpuGroup]) -> tuple[str, int] | None:
    """The catalogue GPU and count of the team's largest group of known GPUs."""
    for group in fleet:
        # the same matching as the verdict's inventory (jobs/hardware.py)
        key = lookup(group.name, advisor.gpus) or find_in(group.name, advisor.gpus)
        if key is not None:
            return key, group.count
    return None


def resolve_hardware(
    services: Services, gpu: str | None, count: int | None, context: Context
) -> tuple[str, int, str]:
    """GPU name, count and where they came from ("asked" or "your GPUs")."""
    if gpu is not None:
        return gpu, 1 if count is None else count, "asked"
    own = fleet_gpu(services.settings.advisor, context.fleet)
    if own is None:
        raise UsageError(
            "no GPUs of a catalogue model in the telemetry: name one, e.g. --gpu 'RTX 4090'"
        )
    return own[0], own[1] if count is None else count, "your GPUs"


def _sentence(result: Fit, advisor: Advisor, origin: str) -> str:
    model = advisor.models[result.model].label
    gpu = advisor.gpus[result.gpu].label
    where = f"{result.count}× {gpu}" + (" (your GPUs, from telemetry)" if origin != "asked" else "")
    head = f"{model} ({result.quant}) on {where}"
    if not result.fits:
        return f"{head}: does not fit — {result.reason}."
    rate = f"{result.decode_tokens_per_s:,.1f} tok/s"
    rate += (
        f" ({result.calibration})"
        if result.calibrated
        else " single-stream (bandwidth-bound estimate)"
    )
    span = f", {result.span} GPUs per replica" if result.span > 1 else ""
    return (
        f"{head}: fits — weights {result.weights_gib:,.1f} GiB, KV cache "
        f"{result.kv_gib_per_session:,.2f} GiB per {result.context_tokens:,}-token session, "
        f"up to {result.max_sessions:,} concurrent sessions{span}; decode {rate}."
    )


def _smallest_fit(advisor: Advisor, result: Fit) -> str:
    """Where a model that does not fit would: more of the same GPU, or a smaller format."""
    for count in (2, 4, 8):
        if count > result.count:
            bigger = fit_for(advisor, result.model, result.gpu, count, result.quant, None)
            if bigger.fits:
                return f"It fits on {count}× at {result.quant}."
    return "Try a smaller quantisation (--quant Q4_K_M) or a GPU with more memory."


def fit_reply(
    services: Services,
    model: str,
    gpu: str | None = None,
    count: int | None = None,
    quant: str | None = None,
    context_tokens: int | None = None,
) -> Reply:
    """One model on one kind of GPU: fits?, sessions, decode rate, as text and JSON."""
    advisor = services.settings.advisor
    data_context = team_context(services)
    gpu_name, gpu_count, origin = resolve_hardware(services, gpu, count, data_context)
    context = (
        context_tokens
        if context_tokens is not None
        else data_context.tokens_per_request or DEFAULT_CONTEXT
    )
    result = fit_for(advisor, model, gpu_name, gpu_count, quant, context)
    until = services.now().date()
    since = until - timedelta(days=services.settings.volume.window_days)
    # The team's servers run on the team's GPUs: their measurements calibrate only those.
    own = fleet_gpu(advisor, data_context.fleet)
    if own is not None and own[0] == result.gpu:
        result = calibrate(result, server_decode(services.database, since, until), advisor)
    text = _sentence(result, advisor, origin)
    if not result.fits:
        text += " " + _smallest_fit(advisor, result)
    context_source = (
        "asked"
        if context_tokens is not None
        else ("measured" if data_context.tokens_per_request else "default")
    )
    data = result.as_json() | {"gpu_source": origin, "context_source": context_source}
    return Reply("fit", text, data)


def fits_on_reply(services: Services, gpu: str, count: int) -> Reply:
    """Every catalogue model on ``count`` × ``gpu``: which fit, in which format, how fast."""
    advisor = services.settings.advisor
    context = team_context(services).tokens_per_request or DEFAULT_CONTEXT
    results = [fit_for(advisor, key, gpu, count, None, context) for key in sorted(advisor.models)]
    fitting = [r for r in results if r.fits]
    label = f"{count}× {advisor.gpus[results[0].gpu].label}"
    lines = [f"On {label}, with {context:,}-token sessions:"]
    for r in sorted(fitting, key=lambda r: -advisor.models[r.model].params_b):
        sessions = "session" if r.max_sessions == 1 else "sessions"
        lines.append(
            f"• {advisor.models[r.model].label} ({r.quant}): {r.max_sessions:,} {sessions}, "
            f"~{r.decode_tokens_per_s:,.0f} tok/s single-stream"
        )
    missing = [advisor.models[r.model].label for r in results if not r.fits]
    if missing:
        lines.append("Does not fit: " + ", ".join(missing) + ".")
    if not fitting:
        lines.insert(1, "No catalogue model fits, even at Q4_K_M.")
    data = {"gpu": results[0].gpu, "count": count, "context_tokens": context}
    data["models"] = [r.as_json() | {"sources": None} for r in results]
    return Reply("fits_on", "\n".join(lines), data)


@intent(
    "fit",
    patterns=(
        r"\bcan (?:we|i) run\b",
        r"\bwhat (?:models? )?fits?\b",
        r"\bdoes\b.*\bfit\b",
        r"\bfit\b.*\bon\b",
    ),
    example="can we run Qwen2.5-Coder 32B on our GPUs?",
    summary="whether a model fits your GPUs (or any catalogue GPU), sessions and speed",
)
def answer_fit(question: str, services: Services) -> Reply:
    """A fit question: one model (on our GPUs or named ones), or everything on named GPUs."""
    advisor = services.settings.advisor
    phrase = find_gpu_phrase(question, advisor)
    if phrase is not None and phrase.problem:
        raise UsageError(phrase.problem)
    model = find_model(question, advisor)
    if model is None:
        if phrase is None:
            own = fleet_gpu(advisor, team_context(services).fleet)
            if own is None:
                raise UsageError(
                    "name a model or GPUs, e.g. “can we run Qwen2.5-Coder 32B on 2 RTX 4090s?” "
                    "or “what fits on 2 RTX 4090s?”"
                )
            return fits_on_reply(services, own[0], own[1])
        return fits_on_reply(services, phrase.gpu, min(phrase.count, MAX_GPUS))
    if phrase is None:
        return fit_reply(services, model)
    return fit_reply(services, model, phrase.gpu, phrase.count)


INTENTS = [answer_fit]
