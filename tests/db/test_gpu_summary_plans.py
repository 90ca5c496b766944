"""The GPU report's reads use the rollups' index on a year of data, whatever the estimates.

On a year of data the hour rows sit in the last weeks only (older hours are packed), so
PostgreSQL, estimating ``resolution`` and ``bucket_start`` apart, expects tens of
thousands of day rows in a recent week when there are a few thousand. A "is there a day
row in this range?" probe written as ``LIMIT 1`` was then planned as a sequential scan
that reads most of the table before its first match (56-90 ms on the fleet bench's year,
against 0.1 ms through the index). The plans are checked, not timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from golocal.db.bulk import insert_columns
from golocal.db.database import Database
from golocal.db.evidence import gpu_power
from golocal.db.gpu_summaries import gpu_summaries
from golocal.db.inventory import gpu_inventory
from golocal.db.models import GpuRollup
from golocal.db.rollups import rollup_weeks_and_months
from golocal.db.telemetry import register_gpu

NOW = datetime(2026, 11, 27, tzinfo=UTC)  # a Friday
GPUS = 64


def _year(database: Database) -> None:
    """Day rows (and their weeks and months) for a year, hour rows for the last 36 days:
    what retention leaves."""
    ids = [
        register_gpu(
            database, source="fleet", host=f"node{i // 8}", gpu_index=i % 8, uuid=f"GPU-{i}",
            name="NVIDIA H100", memory_total_mib=81559, power_limit_w=700.0, seen_at=NOW,
        )
        for i in range(GPUS)
    ]  # fmt: skip
    days = [NOW - timedelta(days=d) for d in range(365, 0, -1)]
    hours = [NOW - timedelta(hours=h) for h in range(36 * 24, 0, -1)]
    for resolution, starts, minutes in (("day", days, 1440), ("hour", hours, 60)):
        count = len(starts) * len(ids)
        insert_columns(
            database,
            GpuRollup,
            {
                "gpu_id": ids * len(starts),
                "resolution": [resolution] * count,
                "bucket_start": [s for s in starts for _ in ids],
                "minutes": [minutes] * count,
                "samples": [minutes * 4] * count,
                "util_mean": [50.0] * count,
            },
        )
    rollup_weeks_and_months(database, days[0], NOW)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


@contextmanager
def _statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "gpu_rollups" in statement and not statement.lstrip().upper().startswith("EXPLAIN"):
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def _plan(database: Database, statement: str, parameters: Any) -> str:
    with database.engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        prefix = "EXPLAIN " if database.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + statement, parameters)
        return "\n".join(str(row[-1] if database.dialect == "sqlite" else row[0]) for row in cursor)


def _assert_indexed(database: Database, statements: list[tuple[str, Any]]) -> None:
    for statement, parameters in statements:
        plan = _plan(database, statement, parameters)
        assert "Seq Scan on gpu_rollups" not in plan, (statement, plan)
        assert "SCAN gpu_rollups" not in plan, (statement, plan)


def test_report_and_evidence_reads_go_through_the_index_on_a_year(database: Database) -> None:
    _year(database)
    for since in (NOW - timedelta(days=7), NOW - timedelta(days=30), NOW - timedelta(days=365)):
        with _statements(database) as statements:
            summaries = gpu_summaries(database, since, NOW)
        assert len(summaries) == GPUS
        assert all(s.minutes == (NOW - since).days * 1440 for s in summaries)
        assert len(statements) >= 2  # the probes of rollup_segments and the report
        _assert_indexed(database, statements)
    # the verdict's window of GPU evidence
    week = (NOW - timedelta(days=7)).date(), NOW.date()
    with _statements(database) as statements:
        power = gpu_power(database, *week)
        (group,) = gpu_inventory(database, *week)
    assert power is not None and power.gpus == GPUS and power.gpu_hours == GPUS * 7 * 24
    assert group.count == GPUS and group.util_mean == 0.5
    _assert_indexed(database, statements)
