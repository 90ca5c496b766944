"""The demo's bulk latency columns are exactly the per-hour rows, server-hour by server-hour."""

from __future__ import annotations

from datetime import UTC, datetime

from golocal.jobs.demo_latency import latency_columns, latency_rows


def test_columns_hold_the_rows_latency_rows_gives():
    ids = [1, 1, 2, 2, 3]
    starts = [datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in (0, 1, 0, 1, 5)]
    requests = [0, 37, 120, 5, 999]  # an idle hour has no rows
    load = [0.1, 0.5, 0.9, 0.0, 1.0]
    rows = [
        row for args in zip(ids, starts, requests, load, strict=True) for row in latency_rows(*args)
    ]
    columns = latency_columns(ids, starts, requests, load)
    table = zip(*columns.values(), strict=True)
    assert [dict(zip(columns, values, strict=True)) for values in table] == rows
