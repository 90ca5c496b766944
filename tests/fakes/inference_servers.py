"""What local inference servers answer, built as the projects document it.

* vLLM 0.33.0 (``vllm/v1/metrics/loggers.py``; docs https://docs.vllm.ai/en/stable/usage/metrics/):
  rendered with prometheus-client itself (what vLLM uses), so numbers come out as
  ``4.821033e+07`` and counters carry ``_created`` samples unless in multiprocess mode
  (``--api-server-count > 1``). Labels ``model_name`` and ``engine`` (one per
  data-parallel rank), ``finished_reason`` on ``vllm:request_success_total``; the
  prometheus-fastapi-instrumentator's ``http_requests_total`` is present too.
* llama.cpp server (ggml-org/llama.cpp ``tools/server/README.md``, handler in
  ``tools/server/server-context.cpp``): ``llamacpp:*`` without labels, 6 significant digits,
  header ``Process-Start-Time-Unix``.
* TGI (huggingface/text-generation-inference ``router/src/server.rs``,
  ``router/src/infer/mod.rs`` and https://huggingface.co/docs/text-generation-inference/reference/metrics):
  rendered by the Rust ``metrics-exporter-prometheus`` crate, so counters have no ``_total``
  suffix and no ``_created``: ``tgi_request_count``, ``tgi_request_success``,
  ``tgi_request_failure{err=...}``, histograms ``tgi_request_input_length``,
  ``tgi_request_generated_tokens``, ``tgi_request_duration`` (summaries of quantiles with
  ``_sum``/``_count``), gauges ``tgi_queue_size`` and ``tgi_batch_current_size``.
* SGLang (sgl-project/sglang ``python/sglang/srt/metrics/collector.py``, docs
  https://docs.sglang.io/references/production_metrics.html): the tokenizer's counters
  ``sglang:num_requests_total``, ``sglang:prompt_tokens_total``,
  ``sglang:generation_tokens_total`` and histogram ``sglang:e2e_request_latency_seconds``
  carry ``model_name``; the scheduler's gauges ``sglang:num_running_reqs``,
  ``sglang:num_queue_reqs``, ``sglang:token_usage`` carry the scheduler's labels
  (``python/sglang/srt/managers/scheduler_metrics_mixin.py`` ``init_metrics``:
  ``model_name``, ``engine_type``, ``tp_rank``, ``pp_rank``, and ``dp_rank`` with data
  parallelism): with tensor parallelism every rank repeats the same queue.
* Ollama ``GET /api/ps`` (ollama/ollama ``docs/api.md`` "List Running Models", fb30760).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

MODEL = "Qwen/Qwen2.5-Coder-32B-Instruct"
VLLM_BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0)


@dataclass
class VllmEngine:
    """One engine (data-parallel rank) of a vLLM server; counters are cumulative."""

    engine: int = 0
    success: dict[str, float] = field(default_factory=lambda: {"stop": 0.0, "length": 0.0})
    prompt_tokens: float = 0.0
    generation_tokens: float = 0.0
    latency_sum: float = 0.0
    running: float = 0.0
    waiting: float = 0.0
    kv_cache: float = 0.0
    #: process start (``_created``); ``None`` renders no ``_created`` (multiprocess mode)
    created: float | None = 1_790_000_000.0
    #: cumulative ``vllm:time_to_first_token_seconds`` buckets (le → count); None: not shown
    ttft: dict[str, float] | None = None


class _VllmCollector:
    def __init__(self, engines: list[VllmEngine], http_requests: float) -> None:
        self.engines = engines
        self.http_requests = http_requests

    def collect(self) -> Iterator[Metric]:
        labels = ["model_name", "engine"]
        running = GaugeMetricFamily("vllm:num_requests_running", "Running requests", labels=labels)
        waiting = GaugeMetricFamily("vllm:num_requests_waiting", "Waiting requests", labels=labels)
        kv = GaugeMetricFamily(
            "vllm:kv_cache_usage_perc", "KV-cache usage (1 = full)", labels=labels
        )
        success = CounterMetricFamily(
            "vllm:request_success", "Finished requests", labels=[*labels, "finished_reason"]
        )
        prompt = CounterMetricFamily("vllm:prompt_tokens", "Prefill tokens", labels=labels)
        generation = CounterMetricFamily(
            "vllm:generation_tokens", "Generation tokens", labels=labels
        )
        latency = HistogramMetricFamily(
            "vllm:e2e_request_latency_seconds", "End-to-end latency", labels=labels
        )
        ttft = HistogramMetricFamily(
            "vllm:time_to_first_token_seconds", "Time to first token", labels=labels
        )
        for e in self.engines:
            values = [MODEL, str(e.engine)]
            running.add_metric(values, e.running)
            waiting.add_metric(values, e.waiting)
            kv.add_metric(values, e.kv_cache)
            for reason, count in e.success.items():
                success.add_metric([*values, reason], count, created=e.created)
            prompt.add_metric(values, e.prompt_tokens, created=e.created)
            generation.add_metric(values, e.generation_tokens, created=e.created)
            count = sum(e.success.values())
            buckets = [(str(b), count * min(1.0, b / 5)) for b in VLLM_BUCKETS] + [("+Inf", count)]
            latency.add_metric(values, buckets, e.latency_sum)
            if e.ttft is not None:
                ttft.add_metric(values, list(e.ttft.items()), 0.0)
        http = CounterMetricFamily(
            "http_requests", "Total HTTP requests", labels=["handler", "method", "status"]
        )
        http.add_metric(["/v1/chat/completions", "POST", "2xx"], self.http_requests)
        http.add_metric(["/metrics", "GET", "2xx"], self.http_requests * 3)
        preempt = CounterMetricFamily("vllm:num_preemptions", "Preemptions", labels=labels)
        preempt.add_metric([MODEL, "0"], 7)
        yield from (http, running, waiting, kv, success, preempt, prompt, generation, latency)
        if any(e.ttft is not None for e in self.engines):
            yield ttft


def vllm_metrics(engines: list[VllmEngine], *, http_requests: float = 0.0) -> str:
    """The ``/metrics`` body of a vLLM server with these engines."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_VllmCollector(engines, http_requests))  # type: ignore[arg-type]
    return generate_latest(registry).decode()


def llamacpp_metrics(
    prompt_tokens: float,
    predicted: float,
    processing: int,
    deferred: int,
    *,
    cached: float | None = None,
) -> str:
    """A llama.cpp ``--metrics`` body (6 significant digits, like its C++ stream).

    ``cached``: the prompt tokens it reused from its cache, on servers that export them.
    """
    extra = (
        []
        if cached is None
        else [
            "# HELP llamacpp:prompt_tokens_cached_total Number of prompt tokens reused from cache.",
            "# TYPE llamacpp:prompt_tokens_cached_total counter",
            f"llamacpp:prompt_tokens_cached_total {cached:.6g}",
        ]
    )
    return "\n".join(
        [
            *extra,
            "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.",
            "# TYPE llamacpp:prompt_tokens_total counter",
            f"llamacpp:prompt_tokens_total {prompt_tokens:.6g}",
            "# HELP llamacpp:prompt_seconds_total Prompt process time",
            "# TYPE llamacpp:prompt_seconds_total counter",
            "llamacpp:prompt_seconds_total 12.3456",
            "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.",
            "# TYPE llamacpp:tokens_predicted_total counter",
            f"llamacpp:tokens_predicted_total {predicted:.6g}",
            "# HELP llamacpp:tokens_predicted_seconds_total Predict process time",
            "# TYPE llamacpp:tokens_predicted_seconds_total counter",
            "llamacpp:tokens_predicted_seconds_total 45.678",
            "# HELP llamacpp:n_decode_total Total number of llama_decode() calls",
            "# TYPE llamacpp:n_decode_total counter",
            "llamacpp:n_decode_total 5731",
            "# HELP llamacpp:prompt_tokens_seconds Average prompt throughput in tokens/s.",
            "# TYPE llamacpp:prompt_tokens_seconds gauge",
            "llamacpp:prompt_tokens_seconds 1843.21",
            "# HELP llamacpp:requests_processing Number of requests processing.",
            "# TYPE llamacpp:requests_processing gauge",
            f"llamacpp:requests_processing {processing}",
            "# HELP llamacpp:requests_deferred Number of requests deferred.",
            "# TYPE llamacpp:requests_deferred gauge",
            f"llamacpp:requests_deferred {deferred}",
            "",
        ]
    )


def ollama_ps(*models: tuple[str, int, int]) -> dict[str, object]:
    """``/api/ps``: (name, size bytes, size_vram bytes) per loaded model."""
    return {
        "models": [
            {
                "name": name,
                "model": name,
                "size": size,
                "digest": "a" * 64,
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "qwen2",
                    "families": ["qwen2"],
                    "parameter_size": "7.6B",
                    "quantization_level": "Q4_K_M",
                },
                "expires_at": "2026-03-02T10:04:39.4553526+01:00",
                "size_vram": vram,
                "context_length": 4096,
            }
            for name, size, vram in models
        ]
    }


def tgi_metrics(
    success: int, failures: dict[str, int], input_tokens: int, generated: int, queue: int
) -> str:
    """A TGI router's ``/metrics`` body, as ``metrics-exporter-prometheus`` renders it."""
    count = success + sum(failures.values())
    lines = [
        "# TYPE tgi_request_count counter",
        f"tgi_request_count {count}",
        "# TYPE tgi_request_success counter",
        f"tgi_request_success {success}",
        "# TYPE tgi_request_failure counter",
        *(f'tgi_request_failure{{err="{err}"}} {n}' for err, n in failures.items()),
        "# TYPE tgi_queue_size gauge",
        f"tgi_queue_size {queue}",
        "# TYPE tgi_batch_current_size gauge",
        "tgi_batch_current_size 4",
    ]
    for name, total in (
        ("tgi_request_input_length", input_tokens),
        ("tgi_request_generated_tokens", generated),
        ("tgi_request_duration", success * 1.5),
    ):
        lines += [
            f"# TYPE {name} summary",
            f'{name}{{quantile="0.5"}} 1',
            f'{name}{{quantile="0.99"}} 2',
            f"{name}_sum {total}",
            f"{name}_count {success}",
        ]
    return "\n".join([*lines, ""])


def sglang_metrics(
    requests: int, prompt: int, generation: int, running: int, queued: int, *, tp: int = 1
) -> str:
    """An SGLang ``--enable-metrics`` body with ``tp`` tensor-parallel ranks."""
    model = f'model_name="{MODEL}"'
    lines = [
        "# TYPE sglang:num_requests_total counter",
        f"sglang:num_requests_total{{{model}}} {requests:.1f}",
        "# TYPE sglang:prompt_tokens_total counter",
        f"sglang:prompt_tokens_total{{{model}}} {prompt:.1f}",
        "# TYPE sglang:generation_tokens_total counter",
        f"sglang:generation_tokens_total{{{model}}} {generation:.1f}",
    ]
    for name, value in (
        ("sglang:num_running_reqs", running),
        ("sglang:num_queue_reqs", queued),
        ("sglang:token_usage", 0.42),
    ):
        lines.append(f"# TYPE {name} gauge")
        lines += [
            f'{name}{{engine_type="unified",{model},pp_rank="0",tp_rank="{rank}"}} {value}'
            for rank in range(tp)
        ]
    return "\n".join([*lines, ""])
