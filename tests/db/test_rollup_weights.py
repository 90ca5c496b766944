"""GPU and server means are weighted by their samples through every rollup level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from golocal.db.database import Database
from golocal.db.models import GpuRollup
from golocal.db.rollups import GPU, merge_minutes, rollup_telemetry
from golocal.db.telemetry import register_gpu

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_minute_with_two_samples_weighs_half_of_one_with_four(database: Database) -> None:
    gpu = register_gpu(
        database,
        source="node1",
        host="node1",
        gpu_index=0,
        uuid="GPU-a",
        name="NVIDIA L40S",
        memory_total_mib=46068,
        power_limit_w=350.0,
        seen_at=T0,
    )
    rows = [
        {"gpu_id": gpu, "minute": T0, "samples": 2, "util_mean": 100.0, "power_mean_w": 300.0},
        {
            "gpu_id": gpu,
            "minute": T0 + timedelta(minutes=1),
            "samples": 4,
            "util_mean": 40.0,
            "power_mean_w": 120.0,
        },
        # the next hour: one sample, so the day weighs the hours 6:1
        {
            "gpu_id": gpu,
            "minute": T0 + timedelta(hours=1),
            "samples": 1,
            "util_mean": 0.0,
            "power_mean_w": 50.0,
        },
    ]
    merge_minutes(database, GPU, rows)
    rollup_telemetry(database, T0, T0 + timedelta(hours=2))
    with database.session() as session:
        hour = session.scalars(
            select(GpuRollup).where(GpuRollup.resolution == "hour", GpuRollup.bucket_start == T0)
        ).one()
        day = session.scalars(select(GpuRollup).where(GpuRollup.resolution == "day")).one()
    assert hour.util_mean == pytest.approx((2 * 100 + 4 * 40) / 6)  # 60, not 70
    assert hour.power_mean_w == pytest.approx((2 * 300 + 4 * 120) / 6)
    assert day.util_mean == pytest.approx((2 * 100 + 4 * 40 + 0) / 7)
    assert day.samples == 7
