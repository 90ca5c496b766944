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
from concurrent.futures import ThreadPoolExecutor

import httpx

from golocal.jobs.sources.fleet_batches import (
    BOUNDARY_MINUTES,
    DISCOVERY_STEP,
    boundary_batches,
    density_block,
    density_query,
    density_range,
    discovery_query,
    discovery_range,
    group_instances,
    lead_seconds,
    raw_plan,
    resets_query,
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
    reset_checks,
    sampled_buckets,
    without_previous,
)
from golocal.jobs.sources.gpu_metrics import FLEET_GPU_SERIES
from golocal.jobs.sources.prometheus_api import query_range, raw_samples

Series = tuple[str, dict[str, str], list[tuple[float, float]]]
#: every series name a vLLM instance is read for
COUNTER_NAMES = tuple(COUNTER_SERIES)
BUCKET_NAMES = tuple(BUCKET_SERIES)
SERVER_COUNTERS = (*COUNTER_NAMES, *BUCKET_NAMES)
SERVER_GAUGES = tuple(GAUGE_SERIES)
#: queries a boundary read keeps in flight at once
BOUNDARY_READERS = 3


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
    before each series' first increase) and gauges at one-minute steps.

    Latency buckets (nine in ten of an instance's counter series) are read at the minutes'
    boundaries when the window is short and the engine saw no reset in them
    (:func:`bucket_boundaries`), else raw like the other counters.
    """
    near = start - NEAR_SECONDS
    counter_counts = series_per_instance(client, url, COUNTER_NAMES, near, end)
    bucket_counts = series_per_instance(client, url, BUCKET_NAMES, near, end)
    counters: list[Series] = []
    if counter_counts or bucket_counts:
        density, block = raw_density(client, url, SERVER_COUNTERS, near, end)
        # the previous sample of each series is in the last two scrapes before the window
        lead = lead_seconds(
            density, block, counter_counts.keys() | bucket_counts.keys(), NEAR_SECONDS
        )
        if counter_counts:
            known = (counter_counts, density, block)
            counters = read_raw(client, url, COUNTER_NAMES, start - lead, end, known=known)
        raw_buckets = bucket_counts
        if bucket_counts and end - start <= BOUNDARY_MINUTES * WINDOW_SECONDS:
            sampled, unsure = bucket_boundaries(
                client, url, (bucket_counts, density, block), start, end, lead
            )
            counters.extend(sampled)
            raw_buckets = {i: n for i, n in bucket_counts.items() if i in unsure}
        if raw_buckets:
            known = (raw_buckets, density, block)
            buckets = read_raw(client, url, BUCKET_NAMES, start - lead, end, known=known)
            counters = merge_series(counters, buckets)
        missing = without_previous(counters, start)
        if missing:
            earlier = read_raw(
                client, url, SERVER_COUNTERS, start - LOOKBACK_SECONDS, start - lead, missing
            )
            counters = merge_series(counters, earlier)
    # gauges are a few series an instance beside some 70 counters: batched by their own count
    first_step = start + WINDOW_SECONDS
    gauge_counts = series_per_instance(client, url, SERVER_GAUGES, first_step, end)
    gauges = read_steps(client, url, SERVER_GAUGES, gauge_counts, first_step, end, WINDOW_SECONDS)
    return counters, gauges


def bucket_boundaries(
    client: httpx.Client,
    url: str,
    known: tuple[dict[str, int], dict[str, int], int],
    start: float,
    end: float,
    lead: int,
) -> tuple[list[Series], set[str]]:
    """Latency buckets as their last samples before each minute boundary of ``[start,
    end]``, and the instances to read raw instead (:func:`sampled_buckets`).

    One query asks the engine for the resets and the series of every bucket over the window
    and the ``lead`` before it; then each boundary is one bounded read per batch of the
    ``lead`` seconds before it (a millisecond before it: a sample on the boundary belongs
    to the next minute). A minute of 5 s scrapes is read as 2 samples a bucket, not 14.
    """
    counts, density, block = known
    check_query = resets_query(BUCKET_NAMES, int(end - start) + lead)
    batches = boundary_batches(counts, density, block, lead)
    boundaries = [start + k * WINDOW_SECONDS for k in range(int(end - start) // WINDOW_SECONDS + 1)]
    # the check and the reads are independent: sent side by side, the engine evaluates one
    # while golocal parses another (a few at a time, so a fleet never floods it)
    with ThreadPoolExecutor(max_workers=BOUNDARY_READERS, thread_name_prefix="boundary") as pool:
        check = pool.submit(
            query_range, client, url, check_query, start=end, end=end, step=WINDOW_SECONDS
        )
        pending = [
            [
                pool.submit(
                    raw_samples,
                    client,
                    url,
                    selector(BUCKET_NAMES, b),
                    end=at - 0.001,
                    seconds=lead,
                )
                for b in batches
            ]
            for at in boundaries
        ]
        reads = [[s for read in reads_at for s in read.result().series] for reads_at in pending]
        checks = reset_checks(check.result().series)
    return sampled_buckets(reads, checks)


def merge_series(*parts: list[Series]) -> list[Series]:
    """The series of several answers, each once, a sample read twice kept once.

    A series found in one answer only is kept as it came (one answer never repeats a
    sample); only series split across answers are merged and sorted.
    """
    found: dict[tuple[str, tuple[tuple[str, str], ...]], list[Series]] = {}
    for part in parts:
        for series in part:
            key = (series[0], tuple(sorted(series[1].items())))
            found.setdefault(key, []).append(series)
    merged: list[Series] = []
    for (name, labels), pieces in found.items():
        if len(pieces) == 1:
            merged.append(pieces[0])
        else:
            samples = sorted({sample for piece in pieces for sample in piece[2]})
            merged.append((name, dict(labels), samples))
    return merged
