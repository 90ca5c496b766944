"""Cumulative counters to increases, with Prometheus ``increase()`` semantics.

The first scrape of a source is only a baseline (no increase is known yet). After that,
each series contributes ``current - previous``; a series that went down, or whose
``_created`` time changed, was reset (a restart) and contributes its new value. A series
that appears after the baseline started from zero, so it contributes its whole value.
Baselines are plain JSON (``SourceStatus.state``), so they survive between scrapes and
restarts of golocal itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Series = Mapping[str, tuple[float, float | None]]


def counter_increases(
    baseline: Mapping[str, Any] | None,
    counters: Mapping[str, Series],
) -> tuple[dict[str, float] | None, dict[str, Any]]:
    """Increases of each named counter since ``baseline``, and the new baseline.

    Args:
        baseline: the state returned by the previous call (``None`` the first time).
        counters: counter name → series id → (cumulative value, created time or None).

    Returns:
        ``(increases, new_baseline)``; ``increases`` is ``None`` on the first scrape, and
        only has the counters the source exposes (an unexposed counter is not 0).
    """
    new_baseline: dict[str, Any] = {
        name: {sid: [value, created] for sid, (value, created) in series.items()}
        for name, series in counters.items()
    }
    if baseline is None:
        return None, new_baseline
    increases: dict[str, float] = {}
    for name, series in counters.items():
        previous = baseline.get(name) or {}
        total = 0.0
        for sid, (value, created) in series.items():
            before = previous.get(sid)
            if before is None:
                total += value
                continue
            old_value, old_created = before
            restarted = value < old_value or (
                created is not None and old_created is not None and created != old_created
            )
            total += value if restarted else value - old_value
        increases[name] = total
    return increases, new_baseline
