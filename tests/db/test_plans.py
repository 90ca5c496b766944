"""The serial plan of an answer's small reads: on for its own transaction, never leaked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from golocal.db.database import Database
from golocal.db.gpu_summaries import gpu_summaries
from golocal.db.plans import serial_plan
from golocal.db.telemetry import register_gpu

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def _workers(database: Database) -> str | None:
    if database.dialect != "postgresql":
        return None
    with database.engine.connect() as connection:
        return str(connection.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar())


def test_serial_plan_lasts_for_its_transaction_only(database: Database) -> None:
    before = _workers(database)
    with database.engine.connect() as connection:
        serial_plan(connection)
        if database.dialect == "postgresql":
            shown = connection.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar()
            assert shown == "0"
    # the pooled connection goes back with the server's setting
    assert _workers(database) == before
    register_gpu(
        database, source="node1", host="node1", gpu_index=0, uuid="GPU-a", name="NVIDIA L40S",
        memory_total_mib=46068, power_limit_w=350.0, seen_at=T0,
    )  # fmt: skip
    (summary,) = gpu_summaries(database, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert summary.minutes == 0  # known during the range, silent: listed
    assert _workers(database) == before
    if database.dialect == "postgresql":
        assert before != "0"  # the check above could not tell otherwise
