"""Cumulative counters to exact increases between two scrapes golocal made itself.

The first scrape of a source is only a baseline (no increase is known yet). After that,
each series contributes ``current - previous``. A real reset (a restart) is a decrease, or a
changed ``_created``/process start time: the series then contributes its new value. A series
that appears after the baseline started from zero, so it contributes its whole value.

A series **missing from one scrape is not a reset**: its last value stays in the baseline, so
``100 → 150 → (absent) → 200 → 250`` is an increase of 150, not 300.

Nothing a counter cannot mean is stored: a value that is negative, not finite or above 2^53,
or an increase faster than :data:`MAX_RATE_PER_S` allows over the time since the previous
scrape, leaves that counter's increase for this scrape unknown (``None``, never a guess) with
a reason the caller logs. Baselines are plain JSON (``SourceStatus.state``), so they survive
between scrapes and restarts of golocal itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Series = Mapping[str, tuple[float, float | None]]

#: the largest cumulative value a counter may hold (exact integers in a float)
MAX_VALUE = float(2**53)
#: the fastest a counter can plausibly grow, per second, on one server
MAX_RATE_PER_S: dict[str, float] = {
    "requests": 100_000.0,
    "aborted_requests": 100_000.0,
    "failed_requests": 100_000.0,
    "latency_count": 100_000.0,
    "prompt_tokens": 100_000_000.0,
    "generation_tokens": 100_000_000.0,
    "latency_sum_s": 100_000_000.0,
}


@dataclass
class CounterIncreases:
    """What :func:`counter_increases` found.

    ``values`` is ``None`` on the first scrape and otherwise has the counters whose increase
    is known (an unexposed or rejected counter is absent, never 0); ``rejected`` says why
    each rejected counter was left out.
    """

    values: dict[str, float] | None
    baseline: dict[str, Any]
    rejected: list[str] = field(default_factory=list)


def _bad_value(value: float) -> str | None:
    if math.isnan(value) or math.isinf(value):
        return "is not finite"
    if value < 0:
        return f"is negative ({value:g})"
    if value > MAX_VALUE:
        return f"is above 2^53 ({value:g})"
    return None


def counter_increases(
    baseline: Mapping[str, Any] | None,
    counters: Mapping[str, Series],
    *,
    elapsed_s: float | None = None,
) -> CounterIncreases:
    """Increases of each named counter since ``baseline``, and the new baseline.

    Args:
        baseline: the state returned by the previous call (``None`` the first time).
        counters: counter name → series id → (cumulative value, created time or None).
        elapsed_s: seconds since the previous scrape, to bound each increase by
            :data:`MAX_RATE_PER_S` (``None``: only the absolute bounds apply).
    """
    previous_all: Mapping[str, Any] = baseline or {}
    # every series seen before is kept until it shows up again (absent is not a reset)
    new_baseline: dict[str, Any] = {
        name: {sid: list(pair) for sid, pair in (series or {}).items()}
        for name, series in previous_all.items()
    }
    values: dict[str, float] = {}
    rejected: list[str] = []
    for name, series in counters.items():
        previous = previous_all.get(name) or {}
        kept = new_baseline.setdefault(name, {})
        total = 0.0
        reason: str | None = None
        for sid, (value, created) in series.items():
            bad = _bad_value(value)
            if bad is not None:
                reason = reason or f"{name}: {sid} {bad}"
                continue  # the previous value stays the baseline
            kept[sid] = [value, created]
            before = previous.get(sid)
            if before is None:
                total += value
                continue
            old_value, old_created = before
            restarted = value < old_value or (
                created is not None and old_created is not None and created != old_created
            )
            total += value if restarted else value - old_value
        limit = MAX_RATE_PER_S.get(name)
        if (
            reason is None
            and limit is not None
            and elapsed_s is not None
            and total > limit * max(elapsed_s, 1.0)
        ):
            reason = (
                f"{name}: an increase of {total:,.0f} in {elapsed_s:,.0f} s is above {limit:,.0f}/s"
            )
        if reason is not None:
            rejected.append(reason)
            continue
        values[name] = total
    if baseline is None:
        return CounterIncreases(None, new_baseline, rejected)
    return CounterIncreases(values, new_baseline, rejected)
