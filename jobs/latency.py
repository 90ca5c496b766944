"""Latency like for like: percentiles from histogram buckets, and the cloud's typical figure.

:func:`quantile` interpolates linearly inside the bucket the rank falls in, as Prometheus's
``histogram_quantile`` does (a rank in the ``+Inf`` bucket returns the highest finite
bound). :func:`latency_summary` gives time to first token, end-to-end and queue time p50/p95
per server and model and over all local servers, and sets the cloud beside it: measured only
where a source measures cloud latency (none of the collected usage APIs does), otherwise the
design guide's typical figure, labelled "typical, not measured". TTFT is compared with TTFT,
never an end-to-end figure with a network one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from golocal.db.latency import LatencyHistogram

#: The guide's cloud latency ("network-dependent, typically 200–500 ms"): the wait before a
#: cloud model's first token, so it stands beside local time to first token.
CLOUD_TYPICAL_MS = (200, 500)
METRICS = ("ttft", "e2e", "queue")


def quantile(q: float, buckets: list[tuple[float, int]]) -> float | None:
    """The q-quantile (seconds) of cumulative ``(upper bound, count)`` buckets; None if empty."""
    if not buckets or not 0 <= q <= 1:
        return None
    buckets = sorted(buckets)
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # as histogram_quantile: the highest finite bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def merge(histograms: Iterable[LatencyHistogram]) -> list[tuple[float, int]]:
    """Cumulative buckets of several servers added bound by bound (same bucket layout)."""
    totals: dict[float, int] = {}
    for histogram in histograms:
        for bound, count in histogram.buckets:
            totals[bound] = totals.get(bound, 0) + count
    return sorted(totals.items())


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def latency_summary(histograms: list[LatencyHistogram]) -> dict[str, Any]:
    """The ``latency`` object of the verdict (see the module docstring)."""
    data: dict[str, Any] = {}
    for metric in METRICS:
        merged = merge(h for h in histograms if h.metric == metric)
        data[f"local_{metric}_p50_ms"] = _ms(quantile(0.5, merged))
        data[f"local_{metric}_p95_ms"] = _ms(quantile(0.95, merged))
        data[f"local_{metric}_requests"] = merged[-1][1] if merged else 0
    servers = []
    for name in sorted({h.server for h in histograms}):
        mine = [h for h in histograms if h.server == name]
        row: dict[str, Any] = {"server": name, "model": mine[0].model}
        for h in mine:
            row[f"{h.metric}_p50_ms"] = _ms(quantile(0.5, h.buckets))
            row[f"{h.metric}_p95_ms"] = _ms(quantile(0.95, h.buckets))
        servers.append(row)
    data["servers"] = servers
    data["local_source"] = "measured" if histograms else None
    low, high = CLOUD_TYPICAL_MS
    data["cloud"] = {
        "source": "typical",
        "label": "typical, not measured",
        "metric": "ttft",
        "p50_ms": None,
        "range_ms": [low, high],
        "why": "no collected cloud source reports latency",
    }
    return data
