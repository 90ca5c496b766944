"""Synthetic latency histograms for the demo's vLLM servers (clearly demo data).

Each demo server-hour gets cumulative bucket counts for time to first token, end-to-end and
queue time, drawn from log-normal distributions whose medians rise with the hour's load, on
vLLM's own bucket bounds, so percentiles computed from them behave like a real server's.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np

#: vLLM's bucket bounds (vllm/v1/metrics/loggers.py) for TTFT, end to end and queue time.
BOUNDS: dict[str, tuple[float, ...]] = {
    "ttft": (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0),
    "e2e": (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0),
    "queue": (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 1.0, 2.5),
}
#: (median seconds at no load, extra at full load, log-normal sigma)
SHAPE = {"ttft": (0.15, 0.1, 0.52), "e2e": (0.9, 0.5, 0.56), "queue": (0.006, 0.03, 1.2)}


def _cdf(x: float, median: float, sigma: float) -> float:
    return 0.5 * (1 + math.erf(math.log(x / median) / (sigma * math.sqrt(2))))


def latency_rows(server_id: int, at: datetime, requests: int, load: float) -> list[dict[str, Any]]:
    """One server-hour's bucket rows (cumulative counts, "+Inf" = every request)."""
    if requests <= 0:
        return []
    rows = []
    for metric, bounds in BOUNDS.items():
        base, extra, sigma = SHAPE[metric]
        median = base + extra * load
        for bound in bounds:
            count = round(requests * _cdf(bound, median, sigma))
            rows.append(_row(server_id, at, metric, f"{bound:g}", count))
        rows.append(_row(server_id, at, metric, "+Inf", requests))
    return rows


def _row(server_id: int, at: datetime, metric: str, le: str, count: int) -> dict[str, Any]:
    return {"server_id": server_id, "bucket_start": at, "metric": metric, "le": le, "count": count}


def latency_columns(
    server_ids: list[int], starts: list[datetime], requests: list[int], load: list[float]
) -> dict[str, list[Any]]:
    """:func:`latency_rows` of many server-hours at once, as columns (the demo's bulk path).

    ``server_ids``, ``starts``, ``requests`` and ``load`` hold one entry per server-hour; the
    rows are exactly those :func:`latency_rows` gives for each, in the same order.
    """
    columns: dict[str, list[Any]] = {
        "server_id": [],
        "bucket_start": [],
        "metric": [],
        "le": [],
        "count": [],
    }
    erf = np.vectorize(math.erf, otypes=[float])
    served = np.array(requests, dtype=np.int64)
    keep = served > 0
    ids = np.array(server_ids)[keep]
    times = [at for at, kept in zip(starts, keep.tolist(), strict=True) if kept]
    served, loads = served[keep], np.array(load, dtype=float)[keep]
    blocks: list[tuple[str, list[str], np.ndarray]] = []
    for metric, bounds in BOUNDS.items():
        base, extra, sigma = SHAPE[metric]
        median = base + extra * loads  # (server-hours,)
        bound = np.array(bounds)
        cdf = 0.5 * (1 + erf(np.log(bound[None, :] / median[:, None]) / (sigma * math.sqrt(2))))
        counts = np.rint(served[:, None] * cdf).astype(np.int64)  # round half to even, as round()
        counts = np.concatenate([counts, served[:, None]], axis=1)
        blocks.append((metric, [f"{b:g}" for b in bounds] + ["+Inf"], counts))
    per_hour = sum(len(labels) for _, labels, _ in blocks)
    columns["server_id"] = np.repeat(ids, per_hour).tolist()
    columns["bucket_start"] = [at for at in times for _ in range(per_hour)]
    metrics = [metric for metric, labels, _ in blocks for _ in labels]
    les = [le for _, labels, _ in blocks for le in labels]
    columns["metric"] = metrics * len(times)
    columns["le"] = les * len(times)
    columns["count"] = np.concatenate([c for _, _, c in blocks], axis=1).ravel().tolist()
    return columns
