"""Local inference servers' own metrics: Prometheus text (vLLM, llama.cpp, TGI, SGLang), Ollama.

Parsing only (no HTTP, no database): a ``/metrics`` body becomes a :class:`ServerScrape` of
cumulative counter series and current gauges, read with prometheus-client's parser. Metric
names, per project and the version read:

* vLLM 0.33.0 (``vllm/v1/metrics/loggers.py``): requests = ``vllm:request_success_total``
  over ``finished_reason`` stop, length, repetition and abort (aborted ones also counted
  apart); ``error`` is a failure, counted apart and not as a request
  (``http_requests_total`` counts HTTP calls, not requests);
  ``vllm:prompt_tokens_total``, ``vllm:generation_tokens_total``; latency from
  ``vllm:e2e_request_latency_seconds``; gauges ``vllm:num_requests_running``/``_waiting`` and
  ``vllm:kv_cache_usage_perc`` (``vllm:gpu_cache_usage_perc`` before 0.9). Series differ by
  ``engine`` (data-parallel rank) and are summed.
* llama.cpp server (``tools/server/README.md``, ``--metrics``): ``llamacpp:prompt_tokens_total``
  (plus ``llamacpp:prompt_tokens_cached_total`` where exported: the former excludes cached
  prompt tokens), ``llamacpp:tokens_predicted_total``, gauges
  ``llamacpp:requests_processing``/``_deferred``, ``llamacpp:kv_cache_usage_ratio`` where
  still emitted. **No request counter.**
* TGI (https://huggingface.co/docs/text-generation-inference/reference/metrics):
  ``tgi_request_success``, ``tgi_request_input_length``/``tgi_request_generated_tokens``
  histograms (their ``_sum`` are token totals), ``tgi_request_duration``, ``tgi_queue_size``,
  ``tgi_batch_current_size``.
* SGLang (https://docs.sglang.io/references/production_metrics.html, ``--enable-metrics``):
  ``sglang:num_requests_total``, ``sglang:prompt_tokens_total``,
  ``sglang:generation_tokens_total``, ``sglang:e2e_request_latency_seconds``,
  ``sglang:num_running_reqs``, ``sglang:num_queue_reqs``, ``sglang:token_usage``; with tensor
  parallelism the scheduler's series repeat per ``tp_rank``: one value, not a sum.
* Ollama ``GET /api/ps`` (ollama/ollama ``docs/api.md`` "List Running Models"): loaded
  models with ``size`` and ``size_vram``; no request or token counters at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

#: Counters golocal keeps, by what they mean.
COUNTERS = (
    "requests",
    "aborted_requests",
    "failed_requests",
    "prompt_tokens",
    "generation_tokens",
    "latency_sum_s",
    "latency_count",
)
GAUGES = ("running", "waiting", "kv_cache")


@dataclass(frozen=True)
class Outcomes:
    """How a request counter's label tells finished, aborted and failed requests apart.

    A request is every finished request a client sent, aborted ones included (the GPU worked
    for it, as a cancelled cloud request is billed); a failed one (the server's error) is
    counted apart, never as a request.
    """

    label: str
    aborted: frozenset[str]
    failed: frozenset[str]


@dataclass(frozen=True)
class MetricNames:
    """Which sample names mean what for one kind of server (first gauge name found wins).

    Counter names listed together for one meaning are added (llama.cpp's cached prompt
    tokens beside its uncached ones). ``rank_labels`` name labels whose series repeat one
    value per parallel rank (SGLang's ``tp_rank``): those series are one value, not a sum.
    """

    counters: Mapping[str, tuple[str, ...]]
    gauges: Mapping[str, tuple[str, ...]]
    model_label: str | None = "model_name"
    outcomes: Outcomes | None = None
    rank_labels: tuple[str, ...] = ()


PROFILES: dict[str, MetricNames] = {
    "vllm": MetricNames(
        counters={
            "requests": ("vllm:request_success_total",),
            "prompt_tokens": ("vllm:prompt_tokens_total",),
            "generation_tokens": ("vllm:generation_tokens_total",),
            "latency_sum_s": ("vllm:e2e_request_latency_seconds_sum",),
            "latency_count": ("vllm:e2e_request_latency_seconds_count",),
        },
        gauges={
            "running": ("vllm:num_requests_running",),
            "waiting": ("vllm:num_requests_waiting",),
            "kv_cache": ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"),
        },
        # vllm/v1/engine/__init__.py FINISH_REASON_STRINGS: stop, length, abort, error,
        # repetition ("error" is a request-level internal error, answered 500)
        outcomes=Outcomes("finished_reason", frozenset({"abort"}), frozenset({"error"})),
    ),
    "llamacpp": MetricNames(
        counters={
            # prompt_tokens_total counts the tokens it evaluated; prompt tokens it reused
            # from its cache are counted apart where the server exports them
            "prompt_tokens": (
                "llamacpp:prompt_tokens_total",
                "llamacpp:prompt_tokens_cached_total",
            ),
            "generation_tokens": ("llamacpp:tokens_predicted_total",),
        },
        gauges={
            "running": ("llamacpp:requests_processing",),
            "waiting": ("llamacpp:requests_deferred",),
            "kv_cache": ("llamacpp:kv_cache_usage_ratio",),
        },
        model_label=None,
    ),
    "tgi": MetricNames(
        counters={
            "requests": ("tgi_request_success", "tgi_request_success_total"),
            # router/src/infer: a failed request is tgi_request_failure{err}, never a success
            "failed_requests": ("tgi_request_failure", "tgi_request_failure_total"),
            "prompt_tokens": ("tgi_request_input_length_sum",),
            "generation_tokens": ("tgi_request_generated_tokens_sum",),
            "latency_sum_s": ("tgi_request_duration_sum",),
            "latency_count": ("tgi_request_duration_count",),
        },
        gauges={"running": ("tgi_batch_current_size",), "waiting": ("tgi_queue_size",)},
        model_label=None,
    ),
    "sglang": MetricNames(
        counters={
            "requests": ("sglang:num_requests_total",),
            "prompt_tokens": ("sglang:prompt_tokens_total",),
            "generation_tokens": ("sglang:generation_tokens_total",),
            "latency_sum_s": ("sglang:e2e_request_latency_seconds_sum",),
            "latency_count": ("sglang:e2e_request_latency_seconds_count",),
        },
        gauges={
            "running": ("sglang:num_running_reqs",),
            "waiting": ("sglang:num_queue_reqs",),
            "kv_cache": ("sglang:token_usage",),
        },
        # the scheduler's series carry tp_rank/pp_rank: every rank of one engine reports
        # the same queue (python/sglang/srt/managers/scheduler_metrics_mixin.py); dp_rank
        # series are different engines and are summed
        rank_labels=("tp_rank", "pp_rank"),
    ),
}


#: Latency histograms whose buckets are kept (metric → family name), per kind of server:
#: vLLM https://docs.vllm.ai/en/stable/usage/metrics/ (``vllm:time_to_first_token_seconds``,
#: ``vllm:e2e_request_latency_seconds``, ``vllm:request_queue_time_seconds``); SGLang
#: https://docs.sglang.io/references/production_metrics.html. TGI's latency families are
#: summaries (quantiles, not buckets) and llama.cpp exposes none.
LATENCY_HISTOGRAMS: dict[str, dict[str, str]] = {
    "vllm": {
        "ttft": "vllm:time_to_first_token_seconds",
        "e2e": "vllm:e2e_request_latency_seconds",
        "queue": "vllm:request_queue_time_seconds",
    },
    "sglang": {
        "ttft": "sglang:time_to_first_token_seconds",
        "e2e": "sglang:e2e_request_latency_seconds",
    },
}
#: Counter names of histogram buckets: ``hist:<metric>:<le>``.
HIST_PREFIX = "hist:"


class MetricsFormatError(ValueError):
    """The body is not Prometheus text."""


@dataclass
class ServerScrape:
    """One scrape of one server: counter series (cumulative) and gauges (summed over series).

    ``counters[name]`` maps a series id (sample name + labels) to ``(value, created)``;
    a counter the server does not expose is absent, so "not reported" never becomes 0.
    """

    counters: dict[str, dict[str, tuple[float, float | None]]] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    #: Ollama: bytes of loaded models held in system RAM instead of VRAM.
    memory_in_ram_bytes: int | None = None


def _series_id(name: str, labels: Mapping[str, str]) -> str:
    return name + "{" + ",".join(f"{k}={labels[k]}" for k in sorted(labels)) + "}"


def parse_metrics(kind: str, text: str, *, restart_marker: float | None = None) -> ServerScrape:
    """Parse a Prometheus text body of a ``kind`` server (vllm, llamacpp, tgi, sglang).

    Args:
        restart_marker: a process start time known from outside the body (llama.cpp's
            ``Process-Start-Time-Unix`` header); used as every series' ``created`` when the
            body has no ``_created`` samples, so a restart is detected.

    Raises:
        MetricsFormatError: the body cannot be parsed.
    """
    names = PROFILES[kind]
    wanted_buckets = {
        family + "_bucket": metric for metric, family in LATENCY_HISTOGRAMS.get(kind, {}).items()
    }
    wanted_counters = {n: key for key, ns in names.counters.items() for n in ns}
    wanted_gauges = {n: key for key, ns in names.gauges.items() for n in ns}
    created: dict[str, float] = {}
    values: dict[str, dict[str, float]] = {}
    #: gauge → sample name → series (rank labels dropped) → value
    gauges: dict[str, dict[str, dict[str, float]]] = {}
    models: set[str] = set()
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = {k: v for k, v in sample.labels.items() if k not in names.rank_labels}
                if names.model_label and labels.get(names.model_label):
                    models.add(labels[names.model_label])
                if sample.name.endswith("_created"):
                    base = sample.name.removesuffix("_created")
                    for suffix in ("_total", "_sum", "_count", "_bucket", ""):
                        created[_series_id(base + suffix, labels)] = sample.value
                elif sample.name in wanted_buckets and not math.isnan(sample.value):
                    # each bucket bound is a cumulative counter of its own
                    bound = labels.pop("le", "")
                    key = f"{HIST_PREFIX}{wanted_buckets[sample.name]}:{bound}"
                    _keep_max(
                        values.setdefault(key, {}), _series_id(sample.name, labels), sample.value
                    )
                elif sample.name in wanted_counters and not math.isnan(sample.value):
                    for key in counter_keys(names, wanted_counters[sample.name], labels):
                        _keep_max(
                            values.setdefault(key, {}),
                            _series_id(sample.name, labels),
                            sample.value,
                        )
                elif sample.name in wanted_gauges and not math.isnan(sample.value):
                    by_name = gauges.setdefault(wanted_gauges[sample.name], {})
                    _keep_max(
                        by_name.setdefault(sample.name, {}),
                        _series_id(sample.name, labels),
                        sample.value,
                    )
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        raise MetricsFormatError(f"not Prometheus text: {exc}") from None
    scrape = ServerScrape(models=sorted(models))
    for key, series in values.items():
        scrape.counters[key] = {
            sid: (value, created.get(sid, restart_marker)) for sid, value in series.items()
        }
    for key, by_name in gauges.items():
        # the first listed name wins (the current one over a deprecated alias); queue depths
        # add up over engines, for the cache the fullest one matters
        for name in names.gauges[key]:
            if name in by_name:
                found = list(by_name[name].values())
                scrape.gauges[key] = max(found) if key == "kv_cache" else sum(found)
                break
    return scrape


def _keep_max(seen: dict[str, float], series: str, value: float) -> None:
    """One value per series; ranks that repeat a series keep its largest value."""
    seen[series] = max(seen.get(series, value), value)


def counter_keys(names: MetricNames, key: str, labels: Mapping[str, str]) -> tuple[str, ...]:
    """The counters one request-counter sample adds to, by its outcome label."""
    outcomes = names.outcomes
    if key != "requests" or outcomes is None:
        return (key,)
    outcome = labels.get(outcomes.label, "")
    if outcome in outcomes.failed:
        return ("failed_requests",)
    if outcome in outcomes.aborted:
        return ("requests", "aborted_requests")
    return ("requests",)


def parse_ollama_ps(payload: Any) -> ServerScrape:
    """Parse Ollama's ``/api/ps`` answer: loaded models, and how much of them is in RAM.

    Raises:
        MetricsFormatError: the answer is not the documented shape.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("models"), list):
        raise MetricsFormatError("not an Ollama /api/ps answer (no 'models' list)")
    scrape = ServerScrape()
    in_ram = 0
    for model in payload["models"]:
        if not isinstance(model, dict):
            raise MetricsFormatError("not an Ollama /api/ps answer (a model is not an object)")
        scrape.models.append(str(model.get("name") or model.get("model") or "?"))
        size, vram = model.get("size"), model.get("size_vram")
        if isinstance(size, int) and isinstance(vram, int):
            in_ram += max(0, size - vram)
    scrape.models.sort()
    scrape.memory_in_ram_bytes = in_ram
    scrape.gauges["loaded_models"] = float(len(scrape.models))
    return scrape
