"""Synthetic GPU and inference-server telemetry for ``golocal demo``, a day at a time.

The same model of a day as a real fleet shows it (utilisation following the day's request
load with minute-to-minute noise, memory and power following utilisation, temperature
following power, one saturation episode on the first host with throttling and a queue),
computed with numpy for every GPU and minute of a day at once: a year of a 64-GPU fleet is
34 million GPU-minutes. Minute rows are kept only for the hours at or after
``minute_cutoff`` (what retention keeps); hourly and daily rollups are aggregated from the
same minutes, so they agree with the minute rows exactly as the rollup job's would.

Results are columns (name → list of values) for :func:`golocal.db.bulk.insert_columns`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

LOCAL_TOKENS = (1800, 280)  # input, output tokens per local request
Columns = dict[str, list[Any]]


@dataclass(frozen=True)
class Fleet:
    """The demo hardware, as the generator needs it."""

    gpu_ids: list[int]
    gpu_hosts: list[int]  # host number of each GPU, 0 first
    server_ids: list[int]  # one per host, host order
    memory_mib: int
    idle_w: float
    max_w: float


@dataclass
class TelemetryDay:
    """One day's rows for the four telemetry tables."""

    gpu_minutes: Columns
    gpu_rollups: Columns
    server_minutes: Columns
    server_rollups: Columns


def telemetry_day(
    rng: np.random.Generator,
    fleet: Fleet,
    hours: list[tuple[datetime, float]],
    episode: tuple[datetime, datetime],
    minute_cutoff: datetime,
) -> TelemetryDay:
    """Telemetry for the given hours of a day: (hour start, requests in it across servers)."""
    starts = [at for at, _ in hours]
    requests = np.array([r for _, r in hours], dtype=float)
    peak = float(requests.max()) if len(requests) and requests.max() > 0 else 1.0
    load = (requests / peak)[:, None]  # (hours, 1): 0..1 within the day
    minute_times = [at + timedelta(minutes=m) for at in starts for m in range(60)]
    stamps = np.array([t.timestamp() for t in minute_times]).reshape(len(starts), 60)
    hot_minute = (stamps >= episode[0].timestamp()) & (stamps < episode[1].timestamp())
    detailed = np.array([at >= minute_cutoff for at in starts], dtype=bool)
    gpus = _gpu_day(rng, fleet, load, hot_minute)
    servers = _server_day(rng, fleet, requests, load, hot_minute)
    return TelemetryDay(
        gpu_minutes=_minutes(gpus, "gpu_id", fleet.gpu_ids, minute_times, detailed),
        gpu_rollups=_rollups(gpus, "gpu_id", fleet.gpu_ids, starts, _GPU_ROLLUP),
        server_minutes=_minutes(servers, "server_id", fleet.server_ids, minute_times, detailed),
        server_rollups=_rollups(servers, "server_id", fleet.server_ids, starts, _SERVER_ROLLUP),
    )


def _gpu_day(
    rng: np.random.Generator, fleet: Fleet, load: np.ndarray, hot_minute: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-minute GPU values, each of shape (GPUs, hours, 60)."""
    shape = (len(fleet.gpu_ids), *hot_minute.shape)
    first_host = np.array(fleet.gpu_hosts) == 0
    hot = first_host[:, None, None] & hot_minute[None]
    util = np.clip(8 + 78 * load[None] + rng.normal(0, 6, shape), 0, 100)
    util[hot] = np.minimum(100.0, 97 + np.abs(rng.normal(0, 1.5, int(hot.sum()))))
    memory = fleet.memory_mib
    mem = np.where(hot, memory * 0.96, np.broadcast_to(memory * (0.55 + 0.25 * load), shape))
    power = fleet.idle_w + (fleet.max_w - fleet.idle_w) * util / 100 * np.where(hot, 0.97, 0.9)
    temp = 38 + 40 * util / 100 + rng.normal(0, 1.0, shape)
    saturated = np.where((util >= 90) & (mem >= 0.9 * memory), 60.0, 0.0)
    return {
        "util": util,
        "util_max": np.minimum(100.0, util + 2),
        "mem": mem,
        "power": power,
        "temp": temp,
        "throttled": np.where(hot, 25.0, 0.0),
        "saturated": saturated,
    }


def _server_day(
    rng: np.random.Generator,
    fleet: Fleet,
    requests: np.ndarray,
    load: np.ndarray,
    hot_minute: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-minute inference-server values, each of shape (servers, hours, 60)."""
    shape = (len(fleet.server_ids), *hot_minute.shape)
    per_minute = (requests / len(fleet.server_ids) / 60)[None, :, None]
    served = np.maximum(0, np.rint(rng.normal(per_minute, np.sqrt(per_minute + 1), shape)))
    hot = np.zeros(shape, dtype=bool)
    hot[0] = hot_minute
    running = np.minimum(64.0, served * 0.4 + np.where(hot, 40.0, 0.0))
    waiting = np.where(hot, rng.integers(3, 13, shape).astype(float), 0.0)
    kv = np.where(hot, 0.95, np.broadcast_to(np.minimum(0.85, 0.1 + 0.6 * load), shape))
    return {
        "requests": served.astype(np.int64),
        "running": running,
        "waiting": waiting,
        "kv": kv,
        "latency": served * np.where(hot, 2.8, 1.1),
        "saturated": np.where((waiting > 0) & (kv >= 0.9), 60.0, 0.0),
    }


def _minutes(
    values: dict[str, np.ndarray],
    key: str,
    ids: list[int],
    minute_times: list[datetime],
    detailed: np.ndarray,
) -> Columns:
    """Minute rows of the detailed hours, GPU (server) by GPU (server)."""
    if not detailed.any():
        return {}
    first = int(np.argmax(detailed))  # detailed hours are the day's last ones
    chosen = {name: array[:, first:, :].reshape(len(ids), -1) for name, array in values.items()}
    per_id = chosen[next(iter(chosen))].shape[1]
    times = minute_times[first * 60 :]
    columns: Columns = {key: np.repeat(ids, per_id).tolist(), "minute": times * len(ids)}
    columns["samples"] = [4] * (per_id * len(ids))
    if key == "gpu_id":
        util, power, mem = chosen["util"], chosen["power"], chosen["mem"]
        columns |= {
            "util_mean": _list(util, 1),
            "util_max": _list(chosen["util_max"], 1),
            "mem_util_mean": _list(util * 0.6, 1),
            "mem_used_mean_mib": _list(mem, 1),
            "mem_used_max_mib": _list(mem, 1),
            "power_mean_w": _list(power, 1),
            "power_max_w": _list(power * 1.04, 1),
            "energy_j": _list(power * 60, 1),
            "temp_max_c": _list(chosen["temp"], 1),
            "throttled_s": _list(chosen["throttled"]),
            "saturated_s": _list(chosen["saturated"]),
        }
        return columns
    served = chosen["requests"]
    columns |= {
        "requests": _list(served),
        "prompt_tokens": _list(served * LOCAL_TOKENS[0]),
        "generation_tokens": _list(served * LOCAL_TOKENS[1]),
        "running_mean": _list(chosen["running"]),
        "running_max": _list(chosen["running"]),
        "waiting_mean": _list(chosen["waiting"]),
        "waiting_max": _list(chosen["waiting"]),
        "kv_cache_mean": _list(chosen["kv"]),
        "kv_cache_max": _list(chosen["kv"]),
        "latency_sum_s": _list(chosen["latency"]),
        "latency_count": _list(served),
        "saturated_s": _list(chosen["saturated"]),
    }
    return columns


# rollup column -> (how it folds minutes into an hour, the per-minute value, decimals);
# a day folds its hours: sums add up, maxima take the max, means average the hours
_GPU_ROLLUP: dict[str, tuple[str, str, int | None]] = {
    "util_mean": ("mean", "util", 2),
    "util_max": ("max", "util_max", 1),
    "mem_util_mean": ("mean", "util*0.6", 2),
    "mem_used_mean_mib": ("mean", "mem", 1),
    "mem_used_max_mib": ("max", "mem", 1),
    "power_mean_w": ("mean", "power", 2),
    "power_max_w": ("max", "power*1.04", 1),
    "energy_j": ("sum", "power*60", 1),
    "temp_max_c": ("max", "temp", 1),
    "throttled_s": ("sum", "throttled", None),
    "saturated_s": ("sum", "saturated", None),
}
_SERVER_ROLLUP: dict[str, tuple[str, str, int | None]] = {
    "requests": ("sum", "requests", None),
    "prompt_tokens": ("sum", f"requests*{LOCAL_TOKENS[0]}", None),
    "generation_tokens": ("sum", f"requests*{LOCAL_TOKENS[1]}", None),
    "running_mean": ("mean", "running", None),
    "running_max": ("max", "running", None),
    "waiting_mean": ("mean", "waiting", None),
    "waiting_max": ("max", "waiting", None),
    "kv_cache_mean": ("mean", "kv", None),
    "kv_cache_max": ("max", "kv", None),
    "latency_sum_s": ("sum", "latency", None),
    "latency_count": ("sum", "requests", None),
    "saturated_s": ("sum", "saturated", None),
}


def _rollups(
    values: dict[str, np.ndarray],
    key: str,
    ids: list[int],
    starts: list[datetime],
    spec: dict[str, tuple[str, str, int | None]],
) -> Columns:
    """Hourly rows for every hour, then one daily row per GPU (server)."""
    hours = len(starts)
    if hours == 0:
        return {}
    hourly: dict[str, np.ndarray] = {}
    for name, (fold, source, decimals) in spec.items():
        minute = _source(values, source)
        if fold == "sum":
            folded = minute.sum(axis=2)
        elif fold == "max":
            folded = minute.max(axis=2)
        else:
            folded = minute.mean(axis=2)
        hourly[name] = folded if decimals is None else np.round(folded, decimals)
    daily = {
        name: hourly[name].sum(axis=1)
        if fold == "sum"
        else hourly[name].max(axis=1)
        if fold == "max"
        else hourly[name].mean(axis=1)
        for name, (fold, _, _) in spec.items()
    }
    count = len(ids)
    day_start = starts[0].replace(hour=0)
    columns: Columns = {
        key: np.repeat(ids, hours).tolist() + list(ids),
        "resolution": ["hour"] * (count * hours) + ["day"] * count,
        "bucket_start": starts * count + [day_start] * count,
        "minutes": [60] * (count * hours) + [60 * hours] * count,
        "samples": [240] * (count * hours) + [240 * hours] * count,
    }
    for name in spec:
        columns[name] = hourly[name].ravel().tolist() + daily[name].tolist()
    return columns


def _source(values: dict[str, np.ndarray], source: str) -> np.ndarray:
    name, _, factor = source.partition("*")
    if not factor:
        return values[name]
    return values[name] * (int(factor) if factor.isdigit() else float(factor))


def _list(array: np.ndarray, decimals: int | None = None) -> list[Any]:
    flat = array.ravel()
    return (flat if decimals is None else np.round(flat, decimals)).tolist()
