"""Telemetry storage: merging minute rows, rollups, retention and the GPU summary query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from golocal.db.database import Database
from golocal.db.gpu_summaries import gpu_summaries, rollup_segments
from golocal.db.models import GpuMinute, GpuRollup, ServerRollup
from golocal.db.retention import RetentionPolicy, apply_retention
from golocal.db.rollups import (
    GPU,
    SERVER,
    merge_minutes,
    rollup_telemetry,
)
from golocal.db.telemetry import (
    mark_gpu_lost,
    register_gpu,
    register_server,
    server_hour_totals,
    servers_hour_totals,
    touch_gpus,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _gpu(database: Database, uuid: str = "GPU-a", index: int = 0) -> int:
    return register_gpu(
        database,
        source="node1",
        host="node1",
        gpu_index=index,
        uuid=uuid,
        name="NVIDIA L40S",
        memory_total_mib=46068,
        power_limit_w=350.0,
        seen_at=T0,
    )


def _minute(gpu_id: int, at: datetime, util: float, power: float, **extra: object) -> dict:
    return {
        "gpu_id": gpu_id,
        "minute": at,
        "samples": 1,
        "util_mean": util,
        "util_max": util,
        "power_mean_w": power,
        "power_max_w": power,
        "energy_j": power * 15,
        "throttled_s": 0.0,
        "saturated_s": 0.0,
        **extra,
    }


def test_scrapes_in_one_minute_merge(database: Database) -> None:
    gpu = _gpu(database)
    merge_minutes(database, GPU, [_minute(gpu, T0, 20, 100)])
    merge_minutes(database, GPU, [_minute(gpu, T0, 80, 300, throttled_s=15.0, temp_max_c=70.0)])

    with database.session() as session:
        row = session.scalars(select(GpuMinute)).one()
    assert row.samples == 2
    assert row.util_mean == pytest.approx(50)
    assert row.util_max == 80
    assert row.power_mean_w == pytest.approx(200)
    assert row.energy_j == pytest.approx(100 * 15 + 300 * 15)
    assert row.throttled_s == 15.0
    assert row.temp_max_c == 70.0  # NULL merged with a value is the value
    assert row.mem_used_mean_mib is None  # never reported stays NULL


def test_rollups_hours_then_days_and_the_summary(database: Database) -> None:
    gpu = _gpu(database)
    other = _gpu(database, "GPU-b", 1)
    rows = []
    for minute in range(120):  # two hours of one GPU, half of it saturated
        at = T0 + timedelta(minutes=minute)
        sat = 60.0 if minute < 30 else 0.0
        rows.append(_minute(gpu, at, 95 if minute < 30 else 40, 300, saturated_s=sat))
    merge_minutes(database, GPU, rows)

    written = rollup_telemetry(database, T0, T0 + timedelta(hours=2))
    rollup_telemetry(database, T0, T0 + timedelta(hours=2))  # idempotent

    assert written == {"hour": 2, "day": 1, "week": 1, "month": 1}
    with database.session() as session:
        hours = session.scalars(
            select(GpuRollup).where(GpuRollup.resolution == "hour").order_by(GpuRollup.bucket_start)
        ).all()
        (day,) = session.scalars(select(GpuRollup).where(GpuRollup.resolution == "day")).all()
    assert [h.minutes for h in hours] == [60, 60]
    assert hours[0].util_mean == pytest.approx((30 * 95 + 30 * 40) / 60)
    assert day.minutes == 120
    assert day.util_mean == pytest.approx((30 * 95 + 90 * 40) / 120)
    assert day.bucket_start == datetime(2026, 3, 2, tzinfo=UTC)

    mark_gpu_lost(database, source="node1", host="node1", gpu_index=1, uuid="GPU-b", seen_at=T0)
    summaries = gpu_summaries(
        database, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    )

    first, second = summaries
    assert (first.uuid, first.minutes, first.util_max) == ("GPU-a", 120, 95)
    assert first.saturated_minutes == pytest.approx(30)
    assert first.throttled_minutes == 0
    assert first.energy_kwh == pytest.approx(120 * 300 * 15 / 3.6e6)
    assert first.energy_estimated is False
    assert first.lost is False
    assert (second.uuid, second.minutes, second.lost, second.util_mean) == ("GPU-b", 0, True, None)
    assert other  # registered


def test_energy_is_estimated_from_power_without_a_counter(database: Database) -> None:
    gpu = _gpu(database)
    merge_minutes(
        database,
        GPU,
        [_minute(gpu, T0 + timedelta(minutes=m), 50, 200, energy_j=None) for m in range(60)],
    )
    rollup_telemetry(database, T0, T0 + timedelta(hours=1))
    (summary,) = gpu_summaries(database, T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=1))
    assert summary.energy_kwh == pytest.approx(200 * 3600 / 3.6e6)
    assert summary.energy_estimated is True


def test_server_minutes_roll_up_and_sum_per_hour(database: Database) -> None:
    server = register_server(
        database, name="coder", kind="vllm", url="http://x", model=None, seen_at=T0
    )
    llama = register_server(
        database, name="llama", kind="llamacpp", url="http://y", model=None, seen_at=T0
    )
    merge_minutes(
        database,
        SERVER,
        [
            {
                "server_id": server,
                "minute": T0,
                "samples": 1,
                "requests": 3,
                "prompt_tokens": 300,
                "generation_tokens": 30,
                "kv_cache_mean": 0.5,
                "kv_cache_max": 0.5,
            },
            {
                "server_id": server,
                "minute": T0 + timedelta(minutes=1),
                "samples": 1,
                "requests": 2,
                "prompt_tokens": 200,
                "generation_tokens": 20,
            },
            {
                "server_id": llama,
                "minute": T0,
                "samples": 1,
                "prompt_tokens": 50,
                "generation_tokens": 5,
            },
        ],
    )
    rollup_telemetry(database, T0, T0 + timedelta(minutes=5))

    assert server_hour_totals(database, server, [T0]) == [
        {"bucket_start": T0, "requests": 5, "prompt_tokens": 500, "generation_tokens": 50}
    ]
    assert server_hour_totals(database, llama, [T0])[0]["requests"] is None
    # many servers at once (a fleet's minute): the same totals, an hour without rows absent
    empty_hour = T0 + timedelta(hours=5)
    assert servers_hour_totals(database, {server: [T0, empty_hour], llama: [T0]}) == {
        server: server_hour_totals(database, server, [T0]),
        llama: server_hour_totals(database, llama, [T0]),
    }
    with database.session() as session:
        day = session.scalars(
            select(ServerRollup).where(
                ServerRollup.resolution == "day", ServerRollup.server_id == server
            )
        ).one()
        day_llama = session.scalars(
            select(ServerRollup).where(
                ServerRollup.resolution == "day", ServerRollup.server_id == llama
            )
        ).one()
    assert (day.requests, day.minutes, day.kv_cache_max) == (5, 2, 0.5)
    assert day_llama.requests is None
    assert day_llama.prompt_tokens == 50


def test_retention_keeps_each_resolution_for_its_days(database: Database) -> None:
    gpu = _gpu(database)
    now = T0 + timedelta(days=500)
    old_minute, new_minute = now - timedelta(days=15), now - timedelta(days=13)
    merge_minutes(
        database, GPU, [_minute(gpu, old_minute, 10, 10), _minute(gpu, new_minute, 10, 10)]
    )
    rollup_telemetry(database, T0, T0 + timedelta(hours=1))  # nothing there: writes nothing
    merge_minutes(database, GPU, [_minute(gpu, T0, 10, 10)])
    rollup_telemetry(database, T0, T0 + timedelta(hours=1))
    rollup_telemetry(database, old_minute, old_minute + timedelta(minutes=1))

    deleted = apply_retention(database, RetentionPolicy(14, 400, None), now=now)

    assert deleted["gpu_minutes"] == 2  # T0 and 15 days ago
    assert deleted["gpu_rollups:hour"] == 1  # the hour of T0, 500 days ago
    with database.session() as session:
        kept = session.scalars(select(GpuMinute.minute)).all()
        days = session.scalars(
            select(GpuRollup.bucket_start).where(GpuRollup.resolution == "day")
        ).all()
    assert kept == [new_minute.replace(tzinfo=UTC)]
    assert len(days) == 2  # daily rollups are kept forever

    # rolling up an hour whose minutes are gone keeps its rollup
    rollup_telemetry(database, old_minute, old_minute + timedelta(minutes=1))
    with database.session() as session:
        assert (
            session.scalars(
                select(GpuRollup).where(
                    GpuRollup.bucket_start == old_minute.replace(minute=0, second=0, microsecond=0)
                )
            ).first()
            is not None
        )


def test_maintenance_job_rolls_up_and_applies_retention(database: Database, tmp_path) -> None:
    from golocal.config.settings import load_settings
    from golocal.jobs.telemetry import maintain_telemetry

    path = tmp_path / "golocal.toml"
    path.write_text("[retention]\nminute_days = 1\nhourly_days = 2\n")
    settings = load_settings(path)
    gpu = _gpu(database)
    now = T0 + timedelta(hours=30)
    merge_minutes(
        database, GPU, [_minute(gpu, T0, 10, 10), _minute(gpu, now - timedelta(minutes=5), 50, 50)]
    )

    done = maintain_telemetry(database, settings, now=now)

    assert done["rollup:hour"] == 1  # only the recent hour is re-rolled
    assert done["deleted:gpu_minutes"] == 1  # the minute 30 hours ago
    with database.session() as session:
        assert len(session.scalars(select(GpuMinute)).all()) == 1


def test_long_ranges_read_months_and_edge_days(database: Database) -> None:
    gpu = register_gpu(
        database,
        source="node1",
        host="node1",
        gpu_index=0,
        uuid="GPU-a",
        name="NVIDIA L40S",
        memory_total_mib=46068,
        power_limit_w=350.0,
        seen_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    touch_gpus(database, [gpu], datetime(2026, 6, 1, tzinfo=UTC))  # still reporting
    # one busy hour on each of 20 days spread over three months
    starts = [datetime(2026, 1, 20, 9, tzinfo=UTC) + timedelta(days=5 * i) for i in range(20)]
    for i, start in enumerate(starts):
        rows = [_minute(gpu, start + timedelta(minutes=m), 10 + i, 100 + i) for m in range(60)]
        merge_minutes(database, GPU, rows)
        rollup_telemetry(database, start, start + timedelta(hours=1))

    def summary(since: datetime, until: datetime):
        (result,) = gpu_summaries(database, since, until)
        return result

    # 2026-01-25 .. 2026-04-10: days of January, February and March whole, days of April
    since, until = datetime(2026, 1, 25, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC)
    inside = [i for i, s in enumerate(starts) if since <= s < until]
    long = summary(since, until)
    assert long.minutes == 60 * len(inside)
    assert long.util_mean == pytest.approx(sum(10 + i for i in inside) / len(inside))
    assert long.util_max == max(10 + i for i in inside)
    assert long.energy_kwh == pytest.approx(sum((100 + i) * 15 * 60 for i in inside) / 3.6e6)
    # the same figures as adding up the days one by one
    days = [summary(since + timedelta(days=d), since + timedelta(days=d + 1)) for d in range(75)]
    assert sum(d.minutes for d in days) == long.minutes
    # partial months and weeks whose other days hold no data come from their own rows
    for since, until in (
        (datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 5, 20, tzinfo=UTC)),
        (datetime(2026, 1, 21, tzinfo=UTC), datetime(2026, 4, 24, tzinfo=UTC)),
        (datetime(2026, 1, 29, tzinfo=UTC), datetime(2026, 2, 26, tzinfo=UTC)),
        (datetime(2026, 2, 3, tzinfo=UTC), datetime(2026, 2, 12, tzinfo=UTC)),
    ):
        whole = summary(since, until)
        span = (until - since).days
        by_day = [
            summary(since + timedelta(days=d), since + timedelta(days=d + 1)) for d in range(span)
        ]
        assert whole.minutes == sum(d.minutes for d in by_day)
        assert whole.energy_kwh == pytest.approx(sum(d.energy_kwh or 0 for d in by_day))
        assert whole.util_max == max(d.util_max for d in by_day if d.util_max is not None)
    with database.engine.connect() as connection:
        segments = rollup_segments(
            connection, datetime(2026, 1, 25, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC)
        )
    # 2026-01-25 (a Sunday) .. 2026-04-10: that day, the week of 26 January (whose 1 February
    # holds no data), February and March, then April's days (data before and after them
    # rules out its weeks and the month)
    assert segments == [
        ("day", datetime(2026, 1, 25, tzinfo=UTC), datetime(2026, 1, 26, tzinfo=UTC)),
        ("week", datetime(2026, 1, 26, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC)),
        ("month", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
        ("day", datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC)),
    ]
    with database.session() as session:
        months = session.scalars(
            select(GpuRollup.bucket_start).where(GpuRollup.resolution == "month")
        ).all()
    assert [m.month for m in sorted(months)] == [1, 2, 3, 4]


def test_a_gpu_registered_after_its_data_is_still_reported(database: Database) -> None:
    gpu = _gpu(database)  # first seen at T0
    earlier = T0 - timedelta(days=40)
    merge_minutes(database, GPU, [_minute(gpu, earlier, 30, 100)])
    rollup_telemetry(database, earlier, earlier + timedelta(minutes=1))
    day = earlier.replace(hour=0)
    (summary,) = gpu_summaries(database, day, day + timedelta(days=1))
    assert summary.minutes == 1
    # and a range from before it existed, without data, does not list it
    assert gpu_summaries(database, day - timedelta(days=5), day) == []
