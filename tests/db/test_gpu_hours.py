"""Per-GPU detail reads on SQLite and PostgreSQL: hourly rollups (``gpu_hours``), stored
minutes and the GPUs a filter names; and the in-memory merge of minute samples giving
exactly what the database's merging upsert stores."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from golocal.db.database import Database
from golocal.db.gpu_detail import MINUTE_COLUMNS, gpus_seen, stored_minutes
from golocal.db.gpu_hours import FIGURES, GpuHour, gpu_hours
from golocal.db.hour_archive import pack_old_hours
from golocal.db.models import GpuRollup
from golocal.db.rollups import GPU, merge_minutes, rollup_telemetry
from golocal.db.telemetry import register_gpu
from golocal.jobs.fleet_minutes import merge_minute_rows
from golocal.jobs.gpu_points import gpu_key, minute_rows
from golocal.jobs.sources.gpu_metrics import GpuPoint

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _gpu(database: Database, host: str, uuid: str, index: int = 0, **extra: object) -> int:
    return register_gpu(
        database, source="node", host=host, gpu_index=index, uuid=uuid, name="NVIDIA L40S",
        memory_total_mib=46068, power_limit_w=350.0, seen_at=T0, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def _points(host: str, uuid: str, seed: int, count: int, step: float = 15.0) -> list[GpuPoint]:
    """Samples with gaps in every field (``None``: not reported) and a counter reset."""
    rng = random.Random(seed)
    energy = 5e6
    points = []
    for i in range(count):
        energy = 100.0 if i == count // 2 else energy + rng.uniform(1000, 6000)

        def maybe(value: float) -> float | None:
            return None if rng.random() < 0.15 else value

        at = (T0 + timedelta(seconds=step * i + 3.5)).timestamp()
        point = GpuPoint(host=host, index=0, uuid=uuid, at=at, mem_total_mib=46068.0)
        points.append(
            replace(
                point,
                util_percent=maybe(rng.uniform(0, 100)),
                mem_used_mib=maybe(rng.uniform(30000, 46000)),
                mem_util_percent=maybe(rng.uniform(0, 60)),
                power_w=maybe(rng.uniform(80, 350)),
                energy_j=maybe(energy),
                temperature_c=maybe(rng.uniform(40, 80)),
                throttled=maybe(float(rng.random() < 0.3)),
            )
        )
    return points


def test_merging_in_memory_gives_what_the_database_stores(database: Database) -> None:
    ids = {"n/GPU-a": _gpu(database, "n", "GPU-a"), "n/GPU-b": _gpu(database, "n", "GPU-b")}
    points = sorted(
        _points("n", "GPU-a", 1, 200) + _points("n", "GPU-b", 2, 200, step=7.0),
        key=lambda p: (gpu_key(p), p.at),
    )
    rows = minute_rows(points, ids, {}, 15.0)
    # as collection writes them: in several calls, a minute split across two of them
    for first in range(0, len(rows), 37):
        merge_minutes(database, GPU, rows[first : first + 37])

    stored = stored_minutes(database, T0, T0 + timedelta(hours=2), ids.values())
    merged = merge_minute_rows(rows)

    assert len(stored) == len(merged) > 60
    for db_row, memory_row in zip(stored, merged, strict=True):
        assert {k: db_row[k] for k in ("gpu_id", "minute", *MINUTE_COLUMNS)} == {
            k: memory_row[k] for k in ("gpu_id", "minute", *MINUTE_COLUMNS)
        }


def test_gpu_hours_are_the_hourly_rollups_sorted_and_filtered(database: Database) -> None:
    a, b = _gpu(database, "n", "GPU-a"), _gpu(database, "m", "GPU-b")
    rows = []
    for gpu_id in (b, a):
        for minute in range(0, 180, 3):  # three hours, every third minute
            rows.append(
                {"gpu_id": gpu_id, "minute": T0 + timedelta(minutes=minute), "samples": 4,
                 "util_mean": float(minute % 60), "util_max": float(minute % 60) + 5,
                 "power_mean_w": 100.0 + gpu_id, "energy_j": 60.0 * (100 + gpu_id)}
            )  # fmt: skip
    merge_minutes(database, GPU, rows)
    rollup_telemetry(database, T0, T0 + timedelta(hours=3), specs=(GPU,))

    hours = gpu_hours(database, T0 + timedelta(hours=1), T0 + timedelta(hours=3))

    assert [(h.gpu_id, h.hour) for h in hours] == [
        (gpu_id, T0 + timedelta(hours=n)) for gpu_id in sorted((a, b)) for n in (1, 2)
    ]
    with database.session() as session:
        stored = session.get(GpuRollup, (a, "hour", T0 + timedelta(hours=1)))
        assert stored is not None
        first = hours[0] if hours[0].gpu_id == a else hours[2]
        assert first == GpuHour(
            **{name: getattr(stored, name) for name in FIGURES},
            gpu_id=a,
            hour=stored.bucket_start,
            minutes=stored.minutes,
        )
    assert (first.minutes, first.samples, first.util_max) == (20, 80, 62.0)
    assert first.energy_j == 20 * 60.0 * (100 + a)
    assert first.mem_used_mean_mib is None  # never reported: not 0
    assert [h.gpu_id for h in gpu_hours(database, T0, T0 + timedelta(hours=9), [b])] == [b] * 3
    assert gpu_hours(database, T0, T0 + timedelta(hours=9), []) == []

    # the day packed (retention), the same hours come back from the archive
    everything = gpu_hours(database, T0, T0 + timedelta(hours=9))
    assert pack_old_hours(database, GPU, T0 + timedelta(days=1)) == 2
    packed = gpu_hours(database, T0, T0 + timedelta(hours=9))
    assert [(h.gpu_id, h.hour, h.minutes, h.samples) for h in packed] == [
        (h.gpu_id, h.hour, h.minutes, h.samples) for h in everything
    ]
    for before, after in zip(everything, packed, strict=True):
        for name in FIGURES:  # packed as 32-bit floats: seven significant digits
            old, new = getattr(before, name), getattr(after, name)
            assert new == old if old is None else new == pytest.approx(old, rel=1e-6)
    assert [
        h.hour for h in gpu_hours(database, T0 + timedelta(hours=1), T0 + timedelta(hours=2), [a])
    ] == [T0 + timedelta(hours=1)]


def test_gpus_a_filter_names(database: Database) -> None:
    whole = _gpu(database, "n", "GPU-a")
    mig = _gpu(database, "n", "GPU-a/gi1", 0, parent_uuid="GPU-a", mig_profile="3g.40gb")
    other = _gpu(database, "m", "GPU-b", 1)
    before = T0 - timedelta(days=1)

    assert [g.id for g in gpus_seen(database, before)] == [other, whole, mig]
    assert [g.id for g in gpus_seen(database, before, uuids=["GPU-a"])] == [whole, mig]
    assert [g.id for g in gpus_seen(database, before, hosts=["m"])] == [other]
    assert [g.id for g in gpus_seen(database, before, uuids=["GPU-a"], hosts=["m"])] == []
    assert gpus_seen(database, T0 + timedelta(minutes=1)) == []  # not seen since
