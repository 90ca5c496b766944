"""vLLM servers seen through a Prometheus fleet: exact per-minute increases and gauges.

Prometheus already scrapes the servers, so golocal reads what it stored instead of keeping
its own baselines. Counters are read as **raw samples** (an instant query of the
range-vector selector ``name[<n>s]``) and turned into increases here, between consecutive
samples of each series, a decrease being a reset (the new value counts) — the rule golocal
applies to its own scrapes. ``increase()`` is not used: it extrapolates to the window's
edges (123 requests stored for 120 served). Each increase belongs to the minute of its later
sample; a series that missed a scrape simply has a longer step, never a reset.

Latency histogram buckets (TTFT, end-to-end, queue time) are counters too, ``le`` kept;
each bound's increases are stored as ``hist:<metric>:<le>``, summed over engines, like a
direct scrape's. In a short window without resets they are read as their last sample
before each minute boundary (:func:`sampled_buckets`), which gives the same increases as
every raw sample; otherwise raw.

Gauges are read with ``query_range`` at one-minute steps, the value at ``t`` standing for
the minute before it. Per ``instance`` and ``model_name``: counters and queue depths are
summed over ``engine`` (data-parallel ranks), the KV cache is the fullest engine's, and
``vllm:gpu_cache_usage_perc`` stands in where ``vllm:kv_cache_usage_perc`` is absent
(vLLM before 0.9). Requests follow the direct scrape's rule (``finished_reason`` ``error`` is a
failure, not a request; ``abort`` is a request, also counted apart). Metric names as in vLLM
0.33.0 (``vllm/v1/metrics/loggers.py``). A minute without samples is "not reported", never 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from golocal.jobs.sources.inference import (
    COUNTERS,
    HIST_PREFIX,
    LATENCY_HISTOGRAMS,
    PROFILES,
    counter_keys,
)

WINDOW_SECONDS = 60
#: how far before a window each counter's previous sample is looked for: the increase
#: across a scrape gap this long that straddles the window's start is still counted
LOOKBACK_SECONDS = 3600
#: how far before a window every counter is read at most (two scrape intervals, usually);
#: a series without a sample there is looked up as far as ``LOOKBACK_SECONDS`` (see
#: :func:`without_previous`)
NEAR_SECONDS = 300

#: counters read as raw samples → the column they feed (requests split by outcome)
COUNTER_SERIES: dict[str, str] = {
    "vllm:request_success_total": "requests",
    "vllm:prompt_tokens_total": "prompt_tokens",
    "vllm:generation_tokens_total": "generation_tokens",
    "vllm:e2e_request_latency_seconds_sum": "latency_sum_s",
    "vllm:e2e_request_latency_seconds_count": "latency_count",
}
#: latency histogram buckets read as raw samples (one series per ``le``) → the stored
#: metric; each bound is a cumulative counter of its own, as on a direct scrape
BUCKET_SERIES: dict[str, str] = {
    family + "_bucket": metric for metric, family in LATENCY_HISTOGRAMS["vllm"].items()
}
#: gauges read at one-minute steps → the value they feed
GAUGE_SERIES: dict[str, str] = {
    "vllm:num_requests_running": "running",
    "vllm:num_requests_waiting": "waiting",
    "vllm:kv_cache_usage_perc": "kv_cache",
    "vllm:gpu_cache_usage_perc": "kv_cache_before_0_9",
}
#: the counter columns a fleet minute can fill: the same as a scraped server's
COUNTER_COLUMNS = COUNTERS

Matrix = Iterable[tuple[str, Mapping[str, str], Iterable[tuple[float, float]]]]


@dataclass
class FleetServerMinute:
    """One vLLM instance for the minute starting at ``minute_start`` (Unix seconds)."""

    instance: str
    model: str
    minute_start: float
    values: dict[str, float] = field(default_factory=dict)


class _Minutes:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str, float], FleetServerMinute] = {}

    def get(self, labels: Mapping[str, str], minute_start: float) -> FleetServerMinute:
        instance, model = labels.get("instance", ""), labels.get("model_name", "")
        key = (instance, model, minute_start)
        record = self.records.get(key)
        if record is None:
            record = self.records[key] = FleetServerMinute(instance, model, minute_start)
        return record


def _increases(samples: Iterable[tuple[float, float]]) -> Iterable[tuple[float, float]]:
    """(time of the later sample, increase) for each pair of consecutive samples."""
    previous: tuple[float, float] | None = None
    for at, value in sorted(s for s in samples if math.isfinite(s[1]) and s[1] >= 0):
        if previous is not None:
            before = previous[1]
            yield at, value if value < before else value - before
        previous = (at, value)


def without_previous(counters: Matrix, start: float) -> list[str]:
    """The instances with a series whose first sample is at or after ``start``: the sample
    before it, if any, lies further back than was read."""
    found = set()
    for _name, labels, samples in counters:
        times = [at for at, _value in samples]
        if times and min(times) >= start:
            found.add(labels.get("instance", ""))
    return sorted(found)


def reset_checks(answer: Matrix) -> dict[str, tuple[int, int]]:
    """Per instance, (resets, series) from the answer to
    :func:`~golocal.jobs.sources.fleet_batches.resets_query`, summed over the names."""
    found: dict[str, list[int]] = {}
    for _name, labels, values in answer:
        figure = labels.get("golocal_figure", "").split(":")[0]
        numbers = [value for _at, value in values if math.isfinite(value)]
        if figure not in ("resets", "series") or not numbers:
            continue
        counts = found.setdefault(labels.get("instance", ""), [0, 0])
        counts[figure == "series"] += int(numbers[-1])
    return {instance: (resets, series) for instance, (resets, series) in found.items()}


def sampled_buckets(
    reads: Sequence[Matrix], checks: Mapping[str, tuple[int, int]]
) -> tuple[list[tuple[str, dict[str, str], list[tuple[float, float]]]], set[str]]:
    """Histogram buckets from the last sample before each minute boundary, where that gives
    exactly what every raw sample would; the instances where it may not, to read raw.

    ``reads[k]`` holds the raw samples of the few seconds before the ``k``-th boundary of a
    window (its start, each minute, its end). Between resets a bucket's increases over a
    minute add up to its last value before the minute's end less its last value before
    the minute's start, so those samples alone give each minute's increase, on the minute
    of the later one, as :func:`fleet_server_minutes` counts it. An instance is read raw
    instead when the engine counted a reset in its buckets (``checks``), when a series
    misses a boundary (a scrape gap, a series that began or ended) or has a non-finite,
    negative or falling value there, or when the engine saw series there that the
    boundaries did not. (A reset hidden behind a NaN sample between two boundaries is not
    seen by ``resets``; prometheus_client never exports one in a bucket.)
    """
    lasts: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[float, float] | None]] = {}
    for k, read in enumerate(reads):
        for name, labels, samples in read:
            points = list(samples)
            if points:
                key = (name, tuple(sorted(labels.items())))
                lasts.setdefault(key, [None] * len(reads))[k] = max(points)
    unsure = {instance for instance, (resets, _series) in checks.items() if resets > 0}
    seen: dict[str, int] = {}
    for (_name, items), found in lasts.items():
        instance = dict(items).get("instance", "")
        seen[instance] = seen.get(instance, 0) + 1
        numbers = [sample[1] for sample in found if sample is not None]
        if (
            len(numbers) < len(found)
            or not all(math.isfinite(number) and number >= 0 for number in numbers)
            or any(later < earlier for earlier, later in itertools.pairwise(numbers))
        ):
            unsure.add(instance)
    unsure |= {i for i, count in seen.items() if checks.get(i, (0, -1))[1] != count}
    unsure |= {i for i, (_resets, series) in checks.items() if series and i not in seen}
    series = [
        (name, dict(items), sorted({s for s in found if s is not None}))
        for (name, items), found in lasts.items()
        if dict(items).get("instance", "") not in unsure
    ]
    return series, unsure


def fleet_server_minutes(
    counters: Matrix, gauges: Matrix, *, start: float, end: float
) -> list[FleetServerMinute]:
    """Per-minute records from raw counter samples and one-minute gauge steps.

    Only increases whose later sample falls in ``[start, end)`` and gauge steps in
    ``(start, end]`` count, so consecutive windows never count a sample twice.
    """
    minutes = _Minutes()
    vllm = PROFILES["vllm"]
    for name, labels, samples in counters:
        column = COUNTER_SERIES.get(name)
        if column is not None:
            keys = counter_keys(vllm, column, labels)
        elif name in BUCKET_SERIES and labels.get("le"):
            keys = (f"{HIST_PREFIX}{BUCKET_SERIES[name]}:{labels['le']}",)
        else:
            continue
        # a series' increases summed per minute first: a 5 s scrape is 12 a minute
        per_minute: dict[float, float] = {}
        for at, increase in _increases(samples):
            if start <= at < end:
                minute = at - at % WINDOW_SECONDS
                per_minute[minute] = per_minute.get(minute, 0.0) + increase
        for minute, increase in per_minute.items():
            record = minutes.get(labels, minute)
            for key in keys:
                record.values[key] = record.values.get(key, 0.0) + increase
    for name, labels, values in gauges:
        column = GAUGE_SERIES.get(name)
        if column is None:
            continue
        for at, value in values:
            if math.isnan(value) or not start < at <= end:
                continue
            record = minutes.get(labels, at - WINDOW_SECONDS)
            seen = record.values.get(column)
            if column.startswith("kv_cache"):
                record.values[column] = value if seen is None else max(seen, value)
            else:
                record.values[column] = value + (seen or 0.0)
    for record in minutes.records.values():
        legacy = record.values.pop("kv_cache_before_0_9", None)
        if legacy is not None and "kv_cache" not in record.values:
            record.values["kv_cache"] = legacy
    return sorted(minutes.records.values(), key=lambda m: (m.instance, m.model, m.minute_start))
