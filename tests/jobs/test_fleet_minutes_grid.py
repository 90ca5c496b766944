"""The evaluation grid of on-demand fleet reads: the collector's times, cut into queries
Prometheus accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from golocal.jobs.fleet_minutes import MAX_STEPS, grid_start, spans

ANCHOR = datetime(2026, 3, 2, 10, 0, 7, 123456, tzinfo=UTC)  # a collector's cursor


def at(hour: int, minute: int, second: int = 0, micro: int = 0, year: int = 2026) -> datetime:
    return datetime(year, 3, 2, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("step", "since", "expected"),
    [
        (15, at(9, 0), at(9, 0, 7, 123456)),
        (15, ANCHOR, ANCHOR),
        (15, at(10, 1), at(10, 1, 7, 123456)),
        (7, at(11, 0), ANCHOR + timedelta(seconds=7 * 514)),
        (60, at(10, 0, 8, year=2025), at(10, 1, 7, 123456, year=2025)),
    ],
)
def test_grid_start_is_the_first_collector_time_at_or_after(
    step: int, since: datetime, expected: datetime
) -> None:
    start = grid_start(ANCHOR, step, since)
    assert start == expected
    assert start >= since > start - timedelta(seconds=step)
    assert ((start - ANCHOR).total_seconds() / step).is_integer()


def test_spans_keep_the_grid_and_stay_under_the_points_limit() -> None:
    first = ANCHOR
    last = first + timedelta(seconds=15 * (2 * MAX_STEPS + 5))
    cut = spans(first, last, 15)

    assert [round((b - a).total_seconds() / 15) + 1 for a, b in cut] == [MAX_STEPS, MAX_STEPS, 6]
    assert cut[0][0] == first and cut[-1][1] == last
    for (_, end), (start, _) in pairwise(cut):
        assert start - end == timedelta(seconds=15)  # the next step: none lost, none twice
    assert spans(first, first - timedelta(seconds=1), 15) == []
