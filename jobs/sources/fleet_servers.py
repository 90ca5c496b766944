"""vLLM servers seen through a Prometheus fleet: per-minute increases and gauges.

Prometheus already scrapes the servers, so golocal asks it for one-minute windows instead of
keeping its own baselines: ``increase(...[60s])`` evaluated every 60 s (PromQL handles
counter resets per series, the same rule golocal applies to its own scrapes), summed over
``engine`` and ``finished_reason`` per ``instance`` and ``model_name``. Metric names as in
vLLM 0.33.0 (``vllm/v1/metrics/loggers.py``). A window without two samples has no value:
the minute is "not reported", never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from golocal.jobs.sources.prometheus_api import RangeResult

WINDOW_SECONDS = 60
_BY = "sum by (instance, model_name)"

#: column -> PromQL, evaluated every WINDOW_SECONDS; each value covers the minute before it.
SERVER_QUERIES: dict[str, str] = {
    "requests": f"{_BY} (increase(vllm:request_success_total[{WINDOW_SECONDS}s]))",
    "prompt_tokens": f"{_BY} (increase(vllm:prompt_tokens_total[{WINDOW_SECONDS}s]))",
    "generation_tokens": f"{_BY} (increase(vllm:generation_tokens_total[{WINDOW_SECONDS}s]))",
    "running": f"{_BY} (vllm:num_requests_running)",
    "waiting": f"{_BY} (vllm:num_requests_waiting)",
    "kv_cache": "max by (instance, model_name) (vllm:kv_cache_usage_perc)",
}
COUNTER_COLUMNS = ("requests", "prompt_tokens", "generation_tokens")


@dataclass
class FleetServerMinute:
    """One vLLM instance for the minute starting at ``minute_start`` (Unix seconds)."""

    instance: str
    model: str
    minute_start: float
    values: dict[str, float] = field(default_factory=dict)


def fleet_server_minutes(results: Mapping[str, RangeResult]) -> list[FleetServerMinute]:
    """Combine the answers to :data:`SERVER_QUERIES` (by column) into per-minute records."""
    minutes: dict[tuple[str, str, float], FleetServerMinute] = {}
    for column, result in results.items():
        for _name, labels, values in result.series:
            instance = labels.get("instance", "")
            model = labels.get("model_name", "")
            for at, value in values:
                if math.isnan(value) or math.isinf(value):
                    continue
                start = at - WINDOW_SECONDS
                key = (instance, model, start)
                record = minutes.get(key) or FleetServerMinute(instance, model, start)
                record.values[column] = value
                minutes[key] = record
    return sorted(minutes.values(), key=lambda m: (m.instance, m.model, m.minute_start))
