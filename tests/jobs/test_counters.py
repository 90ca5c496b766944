"""Counter increases between golocal's own scrapes: resets, gaps and nonsense."""

from __future__ import annotations

import math

import pytest

from golocal.jobs.counters import counter_increases


def _walk(values, *, created=1.0, elapsed_s=None):
    """Feed successive scrapes of one series (``None``: absent); the stored increases."""
    baseline = None
    stored = []
    for value in values:
        series = {} if value is None else {"a": (value, created)}
        found = counter_increases(baseline, {"requests": series}, elapsed_s=elapsed_s)
        baseline = found.baseline
        if found.values is not None and value is not None:
            stored.append(found.values.get("requests"))
    return stored


def test_first_scrape_is_a_baseline_then_new_series_start_from_zero():
    first = counter_increases(None, {"requests": {"a": (10.0, 1.0)}})
    assert first.values is None
    grew = counter_increases(first.baseline, {"requests": {"a": (15.0, 1.0), "b": (2.0, 1.0)}})
    assert grew.values == {"requests": 7.0}  # a new series started from zero
    reset = counter_increases(grew.baseline, {"requests": {"a": (20.0, 9.0), "b": (3.0, 1.0)}})
    assert reset.values == {"requests": 21.0}  # a's _created changed: its whole value counts


def test_a_series_missing_for_one_scrape_is_not_a_reset():
    assert sum(_walk([100.0, 150.0, None, 200.0, 250.0])) == 150.0


def test_a_whole_counter_missing_for_one_scrape_is_not_a_reset():
    first = counter_increases(None, {"requests": {"a": (100.0, None)}})
    gap = counter_increases(first.baseline, {})
    assert gap.values == {}  # not reported, not 0
    back = counter_increases(gap.baseline, {"requests": {"a": (130.0, None)}})
    assert back.values == {"requests": 30.0}


def test_a_decrease_is_a_reset():
    assert _walk([100.0, 150.0, 20.0, 50.0]) == [50.0, 20.0, 30.0]


@pytest.mark.parametrize("bad", [-5.0, math.inf, math.nan, float(2**60)])
def test_a_nonsense_value_is_rejected_with_a_reason_and_not_stored(bad):
    first = counter_increases(None, {"requests": {"a": (100.0, None)}})
    found = counter_increases(first.baseline, {"requests": {"a": (bad, None)}})
    assert "requests" not in found.values
    assert len(found.rejected) == 1 and found.rejected[0].startswith("requests: a ")
    # the last sane value stays the baseline: the next scrape counts from it
    after = counter_increases(found.baseline, {"requests": {"a": (140.0, None)}})
    assert after.values == {"requests": 40.0}


def test_an_absurd_increase_is_rejected_with_a_reason():
    first = counter_increases(None, {"requests": {"a": (100.0, None)}})
    found = counter_increases(
        first.baseline, {"requests": {"a": (100.0 + 10**9, None)}}, elapsed_s=60.0
    )
    assert "requests" not in found.values
    assert found.rejected == ["requests: an increase of 1,000,000,000 in 60 s is above 100,000/s"]
    sane = counter_increases(first.baseline, {"requests": {"a": (1100.0, None)}}, elapsed_s=60)
    assert sane.values == {"requests": 1000.0} and not sane.rejected
