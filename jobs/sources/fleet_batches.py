"""Batched, bounded reads of a Prometheus fleet: which series and steps one query asks for.

A fleet of thousands of GPUs must never cost a query per GPU, per series, or an answer
without a bound. golocal reads the GPU series of a window in three moves:

1. one discovery query counts, per scrape ``instance`` (a node's exporter), how many of the
   wanted series it has: ``count by (instance) ({__name__=~"…"})`` every five minutes across
   the window, the largest count per instance kept;
2. instances are grouped (per-host batching) so one query covers at most
   :data:`SERIES_PER_QUERY` series, all wanted names at once through one ``__name__``
   regex, restricted to the batch with an ``instance`` regex;
3. a window is cut into chunks of whole steps so one answer holds at most
   :data:`SAMPLES_PER_QUERY` samples (series x steps).

Counters read as raw samples (range-vector selectors, no steps) are bounded the same way by
their density: a second discovery query counts, per instance, the most raw samples one
series holds in a block of at least :data:`DENSITY_BLOCK` seconds (``max by (instance)
(count_over_time(…))``, one ``count_over_time`` per name joined by ``or``: a function over
several names at once drops their names and collides); instances are batched by series x
density and the window cut into reads of whole blocks (:func:`raw_plan`). Histogram
buckets read at minute boundaries are batched by the few seconds read before each boundary
(:func:`boundary_batches`), after one query for their resets (:func:`resets_query`).

A 15-second collection of 1,024 GPUs (128 nodes) is then one discovery and four range
queries; 10,000 GPUs are about forty, each answer bounded. The functions here are pure: the
queries are built and the batches cut here, and sent by :mod:`golocal.jobs.telemetry`.
Selector and regex syntax: Prometheus ``docs/querying/basics.md`` (RE2, fully anchored;
label values are string literals where ``\\`` and ``"`` are escaped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

SERIES_PER_QUERY = 5_000
SAMPLES_PER_QUERY = 100_000
DISCOVERY_STEP = 300
#: seconds over which raw-sample density is counted (at least; see :func:`density_block`)
DENSITY_BLOCK = 60
#: the most blocks a density query evaluates, so its answer stays small on long windows
DENSITY_STEPS = 30
#: windows of at most this many minutes read histogram buckets at the minutes' boundaries
#: (:func:`resets_query`); longer ones (a catch-up) read every raw sample
BOUNDARY_MINUTES = 5

# RE2 metacharacters; everything else stands for itself
_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def regex_alternation(values: Iterable[str]) -> str:
    """A PromQL string literal (without its quotes) of a regex matching exactly ``values``."""
    escaped = (_RE2_SPECIAL.sub(r"\\\1", value) for value in values)
    pattern = "|".join(escaped)
    return pattern.replace("\\", "\\\\").replace('"', '\\"')


def selector(names: Sequence[str], instances: Sequence[str] | None = None) -> str:
    """``{__name__=~"a|b", instance=~"x|y"}``: every wanted series of those instances."""
    matchers = [f'__name__=~"{regex_alternation(names)}"']
    if instances is not None:
        matchers.append(f'instance=~"{regex_alternation(instances)}"')
    return "{" + ",".join(matchers) + "}"


def discovery_query(names: Sequence[str], instances: Sequence[str] | None = None) -> str:
    """Wanted series per instance (a range query of it every :data:`DISCOVERY_STEP` seconds
    sees every series the window's steps can see: Prometheus looks 5 minutes back)."""
    # an instant selector keeps each series' name: a range function over several names
    # would drop it and collide ("vector cannot contain metrics with the same labelset")
    return f"count by (instance) ({selector(names, instances)})"


def discovery_range(start: float, end: float) -> tuple[float, float]:
    """The discovery query's range: steps of :data:`DISCOVERY_STEP` ending at ``end`` and
    starting at or before ``start``."""
    steps = max(0, -int(-(end - start) // DISCOVERY_STEP))
    return end - steps * DISCOVERY_STEP, end


def group_instances(
    series_per_instance: Mapping[str, int], limit: int | None = None
) -> list[list[str]]:
    """Instances in batches of at most ``limit`` (:data:`SERIES_PER_QUERY`) series; an
    instance never splits."""
    limit = SERIES_PER_QUERY if limit is None else limit
    batches: list[list[str]] = []
    current: list[str] = []
    total = 0
    for instance in sorted(series_per_instance):
        count = max(0, series_per_instance[instance])
        if current and total + count > limit:
            batches.append(current)
            current, total = [], 0
        current.append(instance)
        total += count
    if current:
        batches.append(current)
    return batches


def time_chunks(
    start: float, end: float, step: float, series: int, budget: int | None = None
) -> list[tuple[float, float]]:
    """``[start, end]`` cut into query ranges of whole steps, each at most ``budget``
    (:data:`SAMPLES_PER_QUERY`) samples.

    The evaluation times stay ``start + k * step`` across chunks, exactly those of one query
    over the whole window.
    """
    if end < start:
        return []
    budget = SAMPLES_PER_QUERY if budget is None else budget
    steps = int((end - start) // step) + 1
    per_chunk = max(1, budget // max(1, series))
    chunks = []
    for first in range(0, steps, per_chunk):
        last = min(steps, first + per_chunk) - 1
        chunks.append((start + first * step, start + last * step))
    return chunks


def density_block(start: float, end: float) -> int:
    """Seconds per density block for ``[start, end]``: a whole number of
    :data:`DENSITY_BLOCK`, at most :data:`DENSITY_STEPS` blocks."""
    blocks = max(1, -int(-(end - start) // DENSITY_BLOCK))
    return DENSITY_BLOCK * -(-blocks // DENSITY_STEPS)


def density_query(names: Sequence[str], block: int, instances: Sequence[str] | None = None) -> str:
    """The most raw samples one series of each instance holds in ``block`` seconds."""
    terms = " or ".join(
        f"count_over_time({selector([name], instances)}[{block}s])" for name in names
    )
    return f"max by (instance) ({terms})"


def density_range(start: float, end: float, block: int) -> tuple[float, float]:
    """The density query's evaluation times (step ``block``): blocks ending at ``end``,
    the first one reaching back to ``start``."""
    blocks = max(1, -int(-(end - start) // block))
    return end - (blocks - 1) * block, end


def lead_seconds(
    samples_per_block: Mapping[str, int], block: int, instances: Iterable[str], most: int
) -> int:
    """Seconds before a window that hold every series' previous sample when no scrape is
    missed: two scrape intervals of the slowest instance (``block / density``), at most
    ``most`` (also for an instance whose density is unknown)."""
    densities = [samples_per_block.get(instance, 0) for instance in instances]
    if not densities or min(densities) < 1:
        return most
    return min(most, -int(-2 * block // min(densities)) + 1)


def raw_plan(
    series_per_instance: Mapping[str, int],
    samples_per_block: Mapping[str, int],
    start: float,
    end: float,
    block: int = DENSITY_BLOCK,
    budget: int | None = None,
) -> list[tuple[list[str], float, int]]:
    """Raw-sample reads covering ``[start, end]``: (instances, evaluation time, seconds) of
    range-vector selectors ``…[<seconds>s]`` evaluated at that time, each at most ``budget``
    (:data:`SAMPLES_PER_QUERY`) samples.

    ``samples_per_block`` is the most raw samples one series of an instance held in a
    ``block`` of seconds. A read of ``k`` blocks' length can straddle ``k + 1`` of them, so
    it holds at most ``(k + 1) x density`` samples per series. An instance whose density is
    unknown counts one sample a second. Consecutive reads share their boundary instant (a
    range selector may include both ends): the caller drops a sample read twice.
    """
    budget = SAMPLES_PER_QUERY if budget is None else budget
    weights = {
        instance: count * max(1, samples_per_block.get(instance, block))
        for instance, count in series_per_instance.items()
    }
    reads: list[tuple[list[str], float, int]] = []
    for batch in group_instances(weights, limit=max(1, budget // 2)):
        per_block = sum(weights[instance] for instance in batch)
        seconds = max(1, budget // max(1, per_block) - 1) * block
        at = end
        while at > start:
            length = min(seconds, -int(-(at - start) // 1))
            reads.append((batch, at, length))
            at -= length
    return reads


def resets_query(names: Sequence[str], seconds: int, instances: Sequence[str] | None = None) -> str:
    """Per instance, the counter resets of the wanted series over the last ``seconds`` and
    how many of those series had samples there.

    ``resets`` over several names would drop their names and collide, so each name is its
    own pair of aggregations, told apart by a ``golocal_figure`` label (``resets:<k>`` and
    ``series:<k>``, ``k`` the name's position) for ``or`` to keep every one.
    """
    terms = []
    for k, name in enumerate(names):
        inner = f"resets({selector([name], instances)}[{seconds}s])"
        for operator, figure in (("sum", "resets"), ("count", "series")):
            terms.append(
                f"label_replace({operator} by (instance) ({inner}), "
                f'"golocal_figure", "{figure}:{k}", "", "")'
            )
    return " or ".join(terms)


def boundary_batches(
    series_per_instance: Mapping[str, int],
    samples_per_block: Mapping[str, int],
    block: int,
    seconds: int,
    budget: int | None = None,
) -> list[list[str]]:
    """Instances batched so one read of the last ``seconds`` before a boundary holds at most
    ``budget`` (:data:`SAMPLES_PER_QUERY`) samples: a series holds about ``seconds`` at its
    density, plus one for the scrape that straddles the edge (unknown density: one a
    second)."""
    budget = SAMPLES_PER_QUERY if budget is None else budget
    weights = {
        instance: count
        * (-int(-max(1, samples_per_block.get(instance, block)) * seconds // block) + 1)
        for instance, count in series_per_instance.items()
    }
    return group_instances(weights, limit=budget)
