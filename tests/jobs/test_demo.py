"""Demo data: labelled, realistic in shape, shaped by retention, and removable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from golocal.db.models import Gpu, GpuMinute, GpuRollup, ServerMinute, UsageBucket
from golocal.db.usage import count_usage_buckets, source_days, upsert_usage_buckets
from golocal.jobs.demo import DemoOptions, clear_demo, generate_demo
from golocal.jobs.volume import build_volume_report

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday


def scalar(database, query):
    with database.engine.connect() as connection:
        return connection.execute(query).scalar_one()


@pytest.fixture
def small_demo(database):
    summary = generate_demo(database, DemoOptions(days=21, profile="small", minute_days=3), now=NOW)
    return database, summary


def test_every_demo_source_is_labelled(small_demo):
    database, summary = small_demo
    with database.engine.connect() as connection:
        sources = set(connection.execute(select(UsageBucket.source).distinct()).scalars())
        gpu_sources = set(connection.execute(select(Gpu.source).distinct()).scalars())
    assert sources == {"demo:openai", "demo:anthropic", "demo:coder"}
    assert gpu_sources == {"demo:agent"}
    assert summary.gpus == 1
    assert summary.usage_rows == count_usage_buckets(database)


def test_weekdays_are_busier_than_weekends_and_both_locations_exist(small_demo):
    database, summary = small_demo
    report = build_volume_report(
        source_days(database, summary.since, NOW.date()),
        summary.since,
        NOW.date(),
        tokens_per_request=2500,
    )
    weekday = [d.requests for d in report.days if d.day.weekday() < 5]
    weekend = [d.requests for d in report.days if d.day.weekday() >= 5]
    assert min(weekday) > max(weekend)
    assert all(d.cloud_requests > 0 and d.local_requests > 0 for d in report.days)
    assert all(d.cost_usd is not None and d.cost_usd > Decimal(0) for d in report.days)
    # Anthropic's usage report carries no request count, and the demo stays faithful to it
    assert report.requests_estimated


def test_minute_rows_only_within_retention_and_rollups_before(small_demo):
    database, _ = small_demo
    cutoff = NOW - timedelta(days=3)
    oldest_minute = scalar(database, select(func.min(GpuMinute.minute)))
    assert oldest_minute >= cutoff
    oldest_hour = scalar(
        database, select(func.min(GpuRollup.bucket_start)).where(GpuRollup.resolution == "hour")
    )
    assert oldest_hour <= NOW - timedelta(days=20)
    days = scalar(
        database, select(func.count()).select_from(GpuRollup).where(GpuRollup.resolution == "day")
    )
    assert days == 22  # 21 full days and today so far
    newest = scalar(database, select(func.max(GpuMinute.minute)))
    assert newest < NOW


def test_there_is_one_saturation_episode(small_demo):
    database, _ = small_demo
    saturated = scalar(
        database, select(func.count()).select_from(GpuMinute).where(GpuMinute.saturated_s > 0)
    )
    assert 60 <= saturated <= 90
    waiting = scalar(
        database,
        select(func.count()).select_from(ServerMinute).where(ServerMinute.waiting_max > 0),
    )
    assert waiting == 90


def test_hourly_rollups_agree_with_minute_rows(small_demo):
    database, _ = small_demo
    hour = (NOW - timedelta(days=1)).replace(hour=9)
    minutes_energy = scalar(
        database,
        select(func.sum(GpuMinute.energy_j)).where(
            GpuMinute.minute >= hour, GpuMinute.minute < hour + timedelta(hours=1)
        ),
    )
    rollup_energy = scalar(
        database,
        select(GpuRollup.energy_j).where(
            GpuRollup.resolution == "hour", GpuRollup.bucket_start == hour
        ),
    )
    assert rollup_energy == pytest.approx(minutes_energy, rel=1e-3)


def test_rerun_replaces_and_clear_removes_only_demo_data(small_demo):
    database, _ = small_demo
    before = count_usage_buckets(database)
    generate_demo(database, DemoOptions(days=21, profile="small", minute_days=3), now=NOW)
    assert count_usage_buckets(database) == before

    real = {
        "source": "openai",
        "bucket_start": datetime(2026, 11, 20, tzinfo=UTC),
        "bucket_seconds": 86400,
        "location": "cloud",
        "requests": 7,
    }
    upsert_usage_buckets(database, [real])
    assert clear_demo(database) > 0
    assert count_usage_buckets(database) == 1
    assert scalar(database, select(func.count()).select_from(Gpu)) == 0
    assert scalar(database, select(func.count()).select_from(GpuMinute)) == 0
    [day] = source_days(database, date(2026, 11, 20), date(2026, 11, 21))
    assert (day.source, day.requests) == ("openai", 7)


def test_fleet_profile_has_64_gpus(sqlite_database):
    summary = generate_demo(
        sqlite_database, DemoOptions(days=1, profile="fleet", minute_days=1), now=NOW
    )
    assert summary.gpus == 64
    assert summary.gpu_minute_rows > 0


def test_unknown_profile_is_refused(sqlite_database):
    with pytest.raises(ValueError, match="unknown demo profile"):
        generate_demo(sqlite_database, DemoOptions(profile="galaxy"))


def test_older_days_are_left_packed_as_retention_leaves_them(tmp_path):
    """The demo packs old hours and latency buckets itself; every answer that reads them is
    the one the unpacked data gives."""
    from sqlalchemy import func, select

    from golocal.db.database import open_database
    from golocal.db.evidence import server_latency
    from golocal.db.inventory import server_decode
    from golocal.db.latency import latency_histograms
    from golocal.db.models import GpuHourArchive, GpuRollup, ServerLatencyDay
    from golocal.db.windows import gpu_week

    def demo(name: str, pack_after: int):
        database = open_database(f"sqlite:///{tmp_path / name}")
        options = DemoOptions(days=30, profile="team", minute_days=3,
                              pack_hours_after_days=pack_after)  # fmt: skip
        generate_demo(database, options, now=NOW)
        return database

    packed, rows = demo("packed.db", 10), demo("rows.db", 400)
    first = (NOW - timedelta(days=30)).date()
    cut = (NOW - timedelta(days=10)).replace(hour=0, minute=0, second=0, microsecond=0)
    with packed.engine.connect() as connection:
        oldest_hour = connection.execute(
            select(func.min(GpuRollup.bucket_start)).where(GpuRollup.resolution == "hour")
        ).scalar_one()
        archived = connection.execute(select(func.count()).select_from(GpuHourArchive)).scalar_one()
        latency_days = connection.execute(
            select(func.count()).select_from(ServerLatencyDay)
        ).scalar_one()
    assert oldest_hour == cut and archived == 4 * 20  # 4 GPUs x the 20 days before the cut
    assert latency_days > 0
    since, until = datetime.combine(first, datetime.min.time(), UTC), NOW
    for a, b in [(gpu_week(packed, since, until), gpu_week(rows, since, until))]:
        assert (a.gpus, a.hours) == (b.gpus, b.hours)
        assert a.energy_kwh == pytest.approx(b.energy_kwh, rel=1e-6)
        assert a.util_mean == pytest.approx(b.util_mean, rel=1e-6)
    end = NOW.date() + timedelta(days=1)
    assert latency_histograms(packed, first, end) == latency_histograms(rows, first, end)
    assert server_latency(packed, first, end).requests == server_latency(rows, first, end).requests
    assert [d.generation_tokens for d in server_decode(packed, first, end)] == [
        d.generation_tokens for d in server_decode(rows, first, end)
    ]
