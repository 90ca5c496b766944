"""The advisor's GPU evidence counts physical GPUs: MIG instances are part of their parent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from golocal.db.evidence import gpu_power
from golocal.db.models import GpuRollup
from golocal.db.telemetry import insert_rows, register_gpu

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def test_mig_instances_are_not_extra_gpus(database) -> None:
    def device(uuid: str, **mig: str) -> int:
        return register_gpu(
            database,
            source="fleet",
            host="node1",
            gpu_index=0,
            uuid=uuid,
            name="NVIDIA A100-SXM4-80GB",
            memory_total_mib=81920,
            power_limit_w=400.0,
            seen_at=DAY,
            **mig,
        )

    ids = [
        device("GPU-aaa"),
        device("GPU-aaa/gi1", parent_uuid="GPU-aaa", mig_profile="4g.40gb"),
        device("GPU-aaa/gi2", parent_uuid="GPU-aaa", mig_profile="3g.40gb"),
    ]
    rows = [
        {
            "gpu_id": gpu_id,
            "resolution": "hour",
            "bucket_start": DAY,
            "minutes": 60,
            "samples": 240,
            "power_mean_w": 300.0 if gpu_id == ids[0] else None,
            "energy_j": 300.0 * 3600 if gpu_id == ids[0] else None,
        }
        for gpu_id in ids
    ]
    insert_rows(database, GpuRollup, rows)
    power = gpu_power(database, date(2026, 3, 2), date(2026, 3, 3))
    assert power is not None
    assert power.gpus == 1  # one A100, not three
    assert power.gpu_hours == pytest.approx(1.0)
    assert power.mean_power_w == pytest.approx(300.0)
