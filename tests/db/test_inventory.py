"""The GPU inventory from telemetry: grouped by model, hosts counted, lost GPUs left out."""

from __future__ import annotations

from datetime import UTC, date, datetime

from golocal.db.inventory import gpu_inventory
from golocal.db.models import GpuRollup
from golocal.db.telemetry import insert_rows, mark_gpu_lost, register_gpu

SEEN = datetime(2026, 3, 5, 12, tzinfo=UTC)


def _gpu(database, host, index, name="NVIDIA H100 80GB HBM3", memory=81559, seen=SEEN):
    return register_gpu(
        database,
        source="dcgm",
        host=host,
        gpu_index=index,
        uuid=f"GPU-{host}-{index}",
        name=name,
        memory_total_mib=memory,
        power_limit_w=700,
        seen_at=seen,
    )


def test_inventory_groups_by_model_counts_hosts_and_weights_utilisation(database):
    ids = [_gpu(database, f"node-{h}", i) for h in range(2) for i in range(4)]
    _gpu(database, "ws", 0, name="NVIDIA GeForce RTX 4090", memory=24564)
    lost = _gpu(database, "node-9", 0)
    mark_gpu_lost(
        database, source="dcgm", host="node-9", gpu_index=0, uuid="GPU-node-9-0", seen_at=SEEN
    )
    _gpu(database, "old", 0, seen=datetime(2026, 1, 1, tzinfo=UTC))  # not seen in the window
    rows = [
        {
            "gpu_id": gpu_id,
            "resolution": "hour",
            "bucket_start": datetime(2026, 3, 4, hour, tzinfo=UTC),
            "minutes": minutes,
            "samples": minutes,
            "util_mean": util,
            "power_mean_w": power,
        }
        for gpu_id in ids[:2]
        for hour, minutes, util, power in ((1, 60, 20.0, 300.0), (2, 30, 80.0, 600.0))
    ]
    insert_rows(database, GpuRollup, rows)
    assert lost not in ids
    groups = gpu_inventory(database, date(2026, 3, 2), date(2026, 3, 9))
    assert [(g.name, g.count, g.hosts, g.memory_mib) for g in groups] == [
        ("NVIDIA H100 80GB HBM3", 8, 2, 81559),
        ("NVIDIA GeForce RTX 4090", 1, 1, 24564),
    ]
    h100 = groups[0]
    # minute-weighted: (20 × 60 + 80 × 30) / 90 = 40 %; power (300 × 60 + 600 × 30) / 90 = 400 W
    assert round(h100.util_mean, 6) == 0.4 and round(h100.power_mean_w, 6) == 400.0
    assert groups[1].util_mean is None and groups[1].power_mean_w is None


def test_no_telemetry_no_inventory(database):
    assert gpu_inventory(database, date(2026, 3, 2), date(2026, 3, 9)) == []
