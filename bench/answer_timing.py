"""p95 answer times of two alternatives measured side by side, and their ratio.

On a shared machine the load moves by a factor of two within a minute: timing a week's
answer and then a year's would put that swing into their ratio. So the calls of every
alternative are interleaved (their order alternating call by call), each round starts
with warm-up calls (connections, plan and statement caches, pages in memory), and the
figures are medians over rounds: the median of the rounds' p95s, and the median of the
ratios of p95s taken within the same round.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

WARM_UP = 3


def p95(timings: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(timings)
    return ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))]


@dataclass(frozen=True, slots=True)
class Figure:
    """The p95 (ms) of each round, and their median."""

    rounds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    def __str__(self) -> str:
        return f"{self.median:.0f} ms ({min(self.rounds):.0f}-{max(self.rounds):.0f})"


def interleaved_p95(
    base: Callable[[], object], other: Callable[[], object], *, repeat: int, rounds: int
) -> tuple[Figure, Figure, Figure]:
    """p95 of ``base`` and ``other`` (``repeat`` calls each per round, interleaved), and the
    ratio other / base; the ratio's figure holds the per-round ratios."""
    base_p95: list[float] = []
    other_p95: list[float] = []
    for _ in range(rounds):
        for _ in range(WARM_UP):
            base()
            other()
        timings: tuple[list[float], list[float]] = ([], [])
        for call in range(repeat):
            order = ((0, base), (1, other)) if call % 2 == 0 else ((1, other), (0, base))
            for slot, function in order:
                started = time.perf_counter()
                function()
                timings[slot].append((time.perf_counter() - started) * 1000)
        base_p95.append(p95(timings[0]))
        other_p95.append(p95(timings[1]))
    ratios = [o / b for o, b in zip(other_p95, base_p95, strict=True)]
    return Figure(base_p95), Figure(other_p95), Figure(ratios)


def ratio_text(ratio: Figure, target: float) -> str:
    met = "met" if ratio.median <= target else "NOT met"
    return (
        f"ratio {ratio.median:.2f} ({min(ratio.rounds):.2f}-{max(ratio.rounds):.2f}; "
        f"target <= {target}: {met})"
    )
