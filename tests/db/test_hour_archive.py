"""Packed hours: old hourly rollups become one row per GPU (server) per day, losing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from golocal.db.database import Database
from golocal.db.evidence import server_latency
from golocal.db.hour_archive import (
    ArchiveFormatError,
    archived_hours,
    columns_of,
    pack_hours,
    unpack_hours,
)
from golocal.db.inventory import server_decode
from golocal.db.models import GpuHourArchive, GpuRollup, ServerHourArchive, ServerRollup
from golocal.db.retention import RetentionPolicy, apply_retention
from golocal.db.rollups import GPU, SERVER, merge_minutes, rollup_telemetry
from golocal.db.telemetry import delete_telemetry_sources, register_gpu, register_server
from golocal.db.windows import gpu_week

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD_DAY = datetime(2026, 3, 2, tzinfo=UTC)  # 91 days before NOW: packed after 35


def _float32(value: float) -> float:
    return float(__import__("array").array("f", [value])[0])


values = st.one_of(st.none(), st.floats(-1e30, 1e30, allow_nan=False))
counts = st.one_of(st.none(), st.integers(0, 2**62))


@given(
    st.dictionaries(
        st.integers(0, 23),
        st.fixed_dictionaries(
            {
                "minutes": st.integers(0, 60),
                "samples": st.integers(0, 2**31),
                "requests": counts,
                "prompt_tokens": counts,
                "latency_sum_s": values,
                "kv_cache_mean": values,
                "running_max": values,
            }
        ),
        min_size=1,
    )
)
def test_a_packed_day_reads_back_what_was_packed(hours: dict[int, dict]) -> None:
    back = unpack_hours(SERVER, pack_hours(SERVER, hours))

    assert sorted(back) == sorted(hours)
    for hour, row in hours.items():
        for name in columns_of(SERVER):
            sent, got = row.get(name), back[hour][name]
            if sent is None:
                assert got is None  # unknown stays unknown, never 0
            elif name in ("minutes", "samples", "requests", "prompt_tokens"):
                assert got == sent  # counts are exact
            else:
                assert got == pytest.approx(_float32(sent), rel=1e-6)  # seven digits
                assert got == float(f"{got:.7g}")  # and no 32-bit tail: 80.9, not 80.90000152


def test_a_record_of_an_unknown_format_is_refused() -> None:
    record = pack_hours(GPU, {3: {"minutes": 60, "samples": 240, "util_mean": 50.0}})
    with pytest.raises(ArchiveFormatError):
        unpack_hours(GPU, b"\x07" + record[1:])
    with pytest.raises(ArchiveFormatError):
        unpack_hours(GPU, b"")
    with pytest.raises(ValueError):
        pack_hours(GPU, {24: {"minutes": 60}})


def _fleet(database: Database) -> tuple[list[int], int]:
    gpus = [
        register_gpu(
            database, source="node1", host="node1", gpu_index=i, uuid=f"GPU-{i}",
            name="NVIDIA L40S", memory_total_mib=46068, power_limit_w=350.0, seen_at=NOW,
        )
        for i in range(2)
    ]  # fmt: skip
    server = register_server(
        database, name="node1/vllm", kind="vllm", url="", model=None, seen_at=NOW
    )
    return gpus, server


def _write_day(database: Database, gpus: list[int], server: int, day: datetime) -> None:
    """Two GPUs and a server for a day, one minute row per hour (hour 5 not reported)."""
    rows = [
        {
            "gpu_id": gpu, "minute": day + timedelta(hours=h, minutes=7), "samples": 4,
            "util_mean": 10.0 + h + gpu / 3, "util_max": 20.0 + h,
            "power_mean_w": 100.0 + h * 1.5, "power_max_w": 150.0, "energy_j": 6000.0 + h,
            "temp_max_c": 60.0, "throttled_s": 0.0, "saturated_s": 1.25 * h,
        }
        for gpu in gpus
        for h in range(24)
        if h != 5
    ]  # fmt: skip
    merge_minutes(database, GPU, rows)
    merge_minutes(
        database,
        SERVER,
        [
            {
                "server_id": server, "minute": day + timedelta(hours=h, minutes=7),
                "samples": 4, "requests": 1000 + h, "prompt_tokens": 3_000_000_017 + h,
                "generation_tokens": None if h == 3 else 500 + h,
                "running_mean": 0.0 if h == 4 else 2.5 + h / 7, "kv_cache_max": 0.75,
                "latency_sum_s": 12.5 + h / 3, "latency_count": 10 + h,
            }
            for h in range(24)
        ],
    )  # fmt: skip
    rollup_telemetry(database, day, day + timedelta(days=1))


def _rows(database: Database, model: type) -> list[dict]:
    with database.engine.connect() as connection:
        return [
            row._asdict()
            for row in connection.execute(
                select(model.__table__).order_by(*model.__table__.primary_key.columns)
            )
        ]


def test_retention_packs_old_days_and_the_hours_read_back(database: Database) -> None:
    gpus, server = _fleet(database)
    recent = (NOW - timedelta(days=3)).replace(hour=0)
    for day in (OLD_DAY, recent):
        _write_day(database, gpus, server, day)
    with database.engine.connect() as connection:
        before = list(
            connection.execute(
                select(GpuRollup.__table__).where(
                    GpuRollup.resolution == "hour",
                    GpuRollup.bucket_start < OLD_DAY + timedelta(days=1),
                )
            )
        )
    coarse = [
        r
        for r in _rows(database, GpuRollup) + _rows(database, ServerRollup)
        if r["resolution"] != "hour"
    ]

    done = apply_retention(database, RetentionPolicy(), now=NOW)

    assert done["gpu_hour_archive:packed"] == 2 and done["server_hour_archive:packed"] == 1
    with database.engine.connect() as connection:
        hours_left = connection.execute(
            select(func.min(GpuRollup.bucket_start)).where(GpuRollup.resolution == "hour")
        ).scalar_one()
        packed = list(
            archived_hours(connection, GPU, OLD_DAY, OLD_DAY + timedelta(days=1), keys=gpus)
        )
        one_gpu = list(archived_hours(connection, GPU, OLD_DAY, NOW, keys=gpus[1:]))
        servers = list(archived_hours(connection, SERVER, OLD_DAY, NOW))
    assert hours_left == recent  # recent hours stay rows
    assert len(packed) == len(before) == 46  # 23 hours x 2 GPUs: hour 5 stays absent
    by_key = {(row.gpu_id, row.bucket_start): row for row in before}
    for hour in packed:
        row = by_key[(hour.key, hour.hour)]
        assert hour.values["minutes"] == row.minutes and hour.values["samples"] == row.samples
        assert hour.values["util_mean"] == pytest.approx(row.util_mean, rel=1e-6)
        assert hour.values["energy_j"] == pytest.approx(row.energy_j, rel=1e-6)
        assert hour.values["mem_used_mean_mib"] is None  # not reported stays unknown
    assert {h.key for h in one_gpu} == {gpus[1]}
    assert [h.values["prompt_tokens"] for h in servers] == [3_000_000_017 + h for h in range(24)]
    # days, weeks and months were rolled from the hours before they were packed: unchanged
    assert [
        r
        for r in _rows(database, GpuRollup) + _rows(database, ServerRollup)
        if r["resolution"] != "hour"
    ] == coarse

    again = apply_retention(database, RetentionPolicy(), now=NOW)
    assert again["gpu_hour_archive:packed"] == 0


def test_an_hour_arriving_after_its_day_was_packed_joins_it(database: Database) -> None:
    gpus, server = _fleet(database)
    _write_day(database, gpus, server, OLD_DAY)
    apply_retention(database, RetentionPolicy(), now=NOW)
    late = OLD_DAY + timedelta(hours=5)
    merge_minutes(
        database, GPU, [{"gpu_id": gpus[0], "minute": late, "samples": 1, "util_mean": 7.0}]
    )
    rollup_telemetry(database, late, late + timedelta(hours=1))

    apply_retention(database, RetentionPolicy(), now=NOW)

    with database.engine.connect() as connection:
        hours = list(
            archived_hours(connection, GPU, OLD_DAY, OLD_DAY + timedelta(days=1), keys=gpus[:1])
        )
    assert len(hours) == 24  # 23 packed before, and the late one
    assert [h.values["util_mean"] for h in hours if h.hour == late] == [7.0]
    assert len(_rows(database, GpuHourArchive)) == 2


def test_packed_days_go_after_hourly_days_and_with_their_gpu(database: Database) -> None:
    gpus, server = _fleet(database)
    _write_day(database, gpus, server, OLD_DAY)
    apply_retention(database, RetentionPolicy(), now=NOW)
    assert len(_rows(database, GpuHourArchive)) == 2

    # the day's last hour is 399 days old: kept; a day later it is past 400 days: gone
    last_hour = OLD_DAY + timedelta(hours=23)
    kept = apply_retention(database, RetentionPolicy(), now=last_hour + timedelta(days=399))
    gone = apply_retention(database, RetentionPolicy(), now=last_hour + timedelta(days=401))
    assert (kept["gpu_hour_archive"], gone["gpu_hour_archive"]) == (0, 2)
    assert gone["server_hour_archive"] == 1

    _write_day(database, gpus, server, OLD_DAY)
    apply_retention(database, RetentionPolicy(), now=NOW)
    delete_telemetry_sources(database, prefix="node1")
    assert _rows(database, GpuHourArchive) == _rows(database, ServerHourArchive) == []


def test_packing_waits_for_the_configured_days(database: Database) -> None:
    gpus, server = _fleet(database)
    _write_day(database, gpus, server, OLD_DAY)
    kept = apply_retention(database, RetentionPolicy(pack_hours_after_days=120), now=NOW)
    assert kept["gpu_hour_archive:packed"] == 0
    assert len(_rows(database, GpuRollup)) == 46 + 2 * 3  # hours, day, week, month


def test_answers_over_packed_days_are_the_answers_over_their_rows(database: Database) -> None:
    gpus, server = _fleet(database)
    for offset in range(3):
        _write_day(database, gpus, server, OLD_DAY + timedelta(days=offset))
    since, until = OLD_DAY + timedelta(hours=12), OLD_DAY + timedelta(days=2, hours=6)

    def answers() -> tuple:
        return (
            gpu_week(database, since, until),
            server_decode(database, OLD_DAY.date(), (OLD_DAY + timedelta(days=3)).date()),
            server_latency(database, OLD_DAY.date(), (OLD_DAY + timedelta(days=3)).date()),
        )

    week, decode, latency = answers()
    apply_retention(database, RetentionPolicy(), now=NOW)
    assert len(_rows(database, GpuHourArchive)) == 6
    packed_week, packed_decode, packed_latency = answers()

    assert (
        (packed_week.gpus, packed_week.hours) == (week.gpus, week.hours) == (2, 2 * (12 + 23 + 5))
    )
    for name in ("util_mean", "energy_kwh", "saturated_minutes", "temp_max_c"):
        assert getattr(packed_week, name) == pytest.approx(getattr(week, name), rel=1e-6)
    assert (
        [(d.server, d.generation_tokens, d.hours) for d in packed_decode]
        == [(d.server, d.generation_tokens, d.hours) for d in decode]
        == [("node1/vllm", 3 * sum(500 + h for h in range(24) if h not in (3, 4)), 3 * 22)]
    )
    assert packed_decode[0].sequence_seconds == pytest.approx(decode[0].sequence_seconds, 1e-6)
    assert latency is not None and packed_latency is not None
    assert packed_latency.requests == latency.requests == 3 * sum(10 + h for h in range(24))
    assert packed_latency.mean_seconds == pytest.approx(latency.mean_seconds, rel=1e-6)


def test_the_maintenance_job_packs_as_configured(database: Database, tmp_path) -> None:
    from golocal.config.settings import load_settings
    from golocal.jobs.telemetry import maintain_telemetry

    gpus, server = _fleet(database)
    _write_day(database, gpus, server, NOW.replace(hour=0) - timedelta(days=5))
    path = tmp_path / "golocal.toml"
    path.write_text("[retention]\nminute_days = 2\npack_hours_after_days = 4\n")

    done = maintain_telemetry(database, load_settings(path), now=NOW)

    assert done["deleted:gpu_hour_archive:packed"] == 2
    assert [r["resolution"] for r in _rows(database, GpuRollup)].count("hour") == 0


def test_measurements_read_back_as_the_decimals_they_were() -> None:
    hours = {h: {"minutes": 60, "samples": 240, "temp_max_c": 80.9, "util_mean": 41.37,
                 "energy_j": 2_519_999.5, "power_mean_w": 0.1} for h in range(24)}  # fmt: skip
    back = unpack_hours(GPU, pack_hours(GPU, hours))
    assert {(v["temp_max_c"], v["util_mean"], v["energy_j"], v["power_mean_w"])
            for v in back.values()} == {(80.9, 41.37, 2_520_000.0, 0.1)}  # fmt: skip
