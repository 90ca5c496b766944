"""Planner settings for the small aggregates an answer reads over a bounded window.

PostgreSQL estimates a window of rollup rows from ``resolution`` and ``bucket_start``
separately, and the two are correlated: hour rows exist only for recent weeks (older hours
are packed into archive rows), so on a year of data "the day rows of the last 7 days" is
estimated at 50,000 rows when it is 7,000. Past a few tens of thousands of rows the planner
starts parallel workers; starting them costs more than the scan (about 6 ms against 2 ms
for a week of 1,024 GPUs, and far more on a busy host), so a year of history made a
week's answer slower than it is on a database holding only that week.
"""

from __future__ import annotations

from sqlalchemy import Connection


def serial_plan(connection: Connection) -> None:
    """Plan the rest of ``connection``'s transaction without parallel workers (PostgreSQL;
    SQLite has none). ``SET LOCAL`` ends with the transaction, so a pooled connection goes
    back unchanged."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
