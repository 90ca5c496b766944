"""Bulk column inserts store exactly what a Core ``insert()`` stores, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, text

from golocal.db.bulk import insert_columns
from golocal.db.models import GpuRollup
from golocal.db.telemetry import register_gpu

START = datetime(2026, 3, 1, tzinfo=UTC)


def gpu(database, host: str) -> int:
    return register_gpu(
        database,
        source="agent",
        host=host,
        gpu_index=0,
        uuid=f"GPU-{host}",
        name="NVIDIA L40S",
        memory_total_mib=46068,
        power_limit_w=350.0,
        seen_at=START,
    )


def stored(database, gpu_id: int) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT resolution, bucket_start, minutes, samples, util_mean, energy_j, "
                    "temp_max_c FROM gpu_rollups WHERE gpu_id = :gpu ORDER BY bucket_start"
                ),
                {"gpu": gpu_id},
            )
        )


def test_columns_are_stored_as_core_insert_stores_them(database):
    bulk_gpu, core_gpu = gpu(database, "bulk"), gpu(database, "core")
    east = timezone(timedelta(hours=5))
    starts = [START + timedelta(hours=h) for h in range(300)]
    # the same instants written in another zone, a value left NULL, shared and distinct values
    starts[::7] = [at.astimezone(east) for at in starts[::7]]
    columns = {
        "resolution": ["hour"] * 300,
        "bucket_start": starts,
        "samples": [240] * 300,
        "util_mean": [None if h % 11 == 0 else h / 3 for h in range(300)],
        "energy_j": [float(h * 1000) for h in range(300)],
        "temp_max_c": [70.5] * 300,
    }  # `minutes` is left out: it takes the column's default, 0
    assert insert_columns(database, GpuRollup, {"gpu_id": [bulk_gpu] * 300, **columns}) == 300
    rows = [
        {"gpu_id": core_gpu, **dict(zip(columns, values, strict=True))}
        for values in zip(*columns.values(), strict=True)
    ]
    with database.engine.begin() as connection:
        connection.execute(insert(GpuRollup), rows)
    bulk, core = stored(database, bulk_gpu), stored(database, core_gpu)
    assert len(bulk) == 300
    assert bulk == core
    assert bulk[0][2] == 0


def test_refuses_ragged_columns_and_a_column_without_default(database):
    gpu_id = gpu(database, "ragged")
    with pytest.raises(ValueError, match="different lengths"):
        insert_columns(database, GpuRollup, {"gpu_id": [gpu_id, gpu_id], "resolution": ["hour"]})
    assert insert_columns(database, GpuRollup, {"gpu_id": []}) == 0
