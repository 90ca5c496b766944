"""Reading a Prometheus fleet in bounded batches: the queries :mod:`fleet_batches` plans, sent.

GPU series and vLLM gauges are read with ``query_range`` (per-instance batches of at most
``SERIES_PER_QUERY`` series, the window cut into whole steps); vLLM counters as raw samples
(range-vector selectors, batched and cut by their measured density). Every wanted name of a
batch goes through one ``__name__`` regex: the number of queries grows with the fleet's
series, never with the names or the GPUs one by one.

vLLM counters need the sample before a window to count the first increase in it; that sample
is looked for up to ``LOOKBACK_SECONDS`` back. Reading an hour of raw samples every minute to
find it would cost sixty times the window, so the window is read with two scrape intervals
before it (measured by the density query, at most ``NEAR_SECONDS``), and only series with no
sample there (a missed scrape, or a new series) are looked up further back, for their
instances alone. The samples golocal counts are exactly those of one read of the whole
lookback.

Errors are :class:`~golocal.jobs.sources.prometheus_api.PrometheusError`; the caller turns
them into a source status.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import httpx

from golocal.jobs.sources.fleet_batches import (
    DISCOVERY_STEP,
    density_block,
    density_query,
    density_range,
    discovery_query,
    discovery_range,
    group_instances,
    lead_seconds,
    raw_plan,
    selector,
    time_chunks,
)
from golocal.jobs.sources.fleet_servers import (
    BUCKET_SERIES,
    COUNTER_SERIES,
    GAUGE_SERIES,
    LOOKBACK_SECONDS,
    NEAR_SECONDS,
    WINDOW_SECONDS,
    without_previous,
)
from golocal.jobs.sources.gpu_metrics import FLEET_GPU_SERIES
from golocal.jobs.sources.prometheus_api import query_range, raw_samples

Series = tuple[str, dict[str, str], list[tuple[float, float]]]
#: every series name a vLLM instance is read for
SERVER_COUNTERS = (*COUNTER_SERIES, *BUCKET_SERIES)
SERVER_GAUGES = tuple(GAUGE_SERIES)


def _per_instance(series: list[Series]) -> dict[str, int]:
    """The largest value each instance had over the steps of a ``by (instance)`` answer."""
    found: dict[str, int] = {}
    for _name, labels, values in series:
        numbers = [int(value) for _at, value in values if not math.isnan(value)]
        if numbers:
            found[labels.get("instance", "")] = max(numbers)
    return found


def series_per_instance(
    client: httpx.Client,
    url: str,
    names: Sequence[str],
    start: float,
    end: float,
    instances: Sequence[str] | None = None,
) -> dict[str, int]:
    """How many wanted series each instance has across ``[start, end]`` (one query)."""
    first, last = discovery_range(start, end)
    query = discovery_query(names, instances)
    found = query_range(client, url, query, start=first, end=last, step=DISCOVERY_STEP)
    return _per_instance(found.series)


def read_steps(
    client: httpx.Client,
    url: str,
    names: Sequence[str],
    counts: dict[str, int],
    start: float,
    end: float,
    step: float,
) -> list[Series]:
    """Every wanted series at the steps ``start + k * step`` up to ``end``: per-instance
    batches of at most ``SERIES_PER_QUERY`` series, chunks of at most ``SAMPLES_PER_QUERY``
    samples."""
    series: list[Series] = []
    for batch in group_instances(counts):
        wanted = selector(names, batch)
        total = sum(counts[instance] for instance in batch)
        for first, last in time_chunks(start, end, step, total):
            series.extend(query_range(client, url, wanted, start=first, end=last, step=step).series)
    return series


def raw_density(
    client: httpx.Client,
    url: str,
    names: Sequence[str],
    start: float,
    end: float,
    instances: Sequence[str] | None = None,
) -> tuple[dict[str, int], int]:
    """The most raw samples one series of each instance holds in a block of ``[start,
    end]``, and the block's seconds (one query)."""
    block = density_block(start, end)
    first, last = density_range(start, end, block)
    query = density_query(names, block, instances)
    found = query_range(client, url, query, start=first, end=last, step=block)
    return _per_instance(found.series), block


def read_raw(
    client: httpx.Client,
    url: str,
    names: Sequence[str],
    start: float,
    end: float,
    instances: Sequence[str] | None = None,
    known: tuple[dict[str, int], dict[str, int], int] | None = None,
) -> list[Series]:
    """Every stored sample of the wanted series in ``[start, end]``, each once: the series
    per instance and their density (``known``, else two discovery queries), then bounded
    range-vector reads."""
    if known is None:
        counts = series_per_instance(client, url, names, start, end, instances)
        if not counts:
            return []
        density, block = raw_density(client, url, names, start, end, instances)
    else:
        counts, density, block = known
    reads = [
        raw_samples(client, url, selector(names, batch), end=at, seconds=seconds).series
        for batch, at, seconds in raw_plan(counts, density, start, end, block)
    ]
    return merge_series(*reads)


def gpu_series(
    client: httpx.Client, url: str, start: float, end: float, step: float
) -> list[Series]:
    """Every wanted GPU series of ``[start, end]`` at ``step``."""
    counts = series_per_instance(client, url, FLEET_GPU_SERIES, start, end)
    return read_steps(client, url, FLEET_GPU_SERIES, counts, start, end, step)


def server_series(
    client: httpx.Client, url: str, start: float, end: float
) -> tuple[list[Series], list[Series]]:
    """vLLM counters' raw samples for the whole minutes ``[start, end)`` (with what came
    before each series' first increase) and gauges at one-minute steps."""
    near = start - NEAR_SECONDS
    counts = series_per_instance(client, url, SERVER_COUNTERS, near, end)
    counters: list[Series] = []
    if counts:
        density, block = raw_density(client, url, SERVER_COUNTERS, near, end)
        # the previous sample of each series is in the last two scrapes before the window
        lead = start - lead_seconds(density, block, counts, NEAR_SECONDS)
        known = (counts, density, block)
        counters = read_raw(client, url, SERVER_COUNTERS, lead, end, known=known)
        missing = without_previous(counters, start)
        if missing:
            earlier = read_raw(
                client, url, SERVER_COUNTERS, start - LOOKBACK_SECONDS, lead, missing
            )
            counters = merge_series(counters, earlier)
    # gauges are a few series an instance beside some 70 counters: batched by their own count
    first_step = start + WINDOW_SECONDS
    gauge_counts = series_per_instance(client, url, SERVER_GAUGES, first_step, end)
    gauges = read_steps(client, url, SERVER_GAUGES, gauge_counts, first_step, end, WINDOW_SECONDS)
    return counters, gauges


def merge_series(*parts: list[Series]) -> list[Series]:
    """The series of several answers, each once, a sample read twice kept once."""
    merged: dict[tuple[str, tuple[tuple[str, str], ...]], set[tuple[float, float]]] = {}
    for part in parts:
        for name, labels, samples in part:
            merged.setdefault((name, tuple(sorted(labels.items()))), set()).update(samples)
    return [(name, dict(labels), sorted(samples)) for (name, labels), samples in merged.items()]
