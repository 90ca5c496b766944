"""A Prometheus fleet's minute rows are kept for hours, not copied for weeks; rollups stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from golocal.db.bulk import insert_columns
from golocal.db.models import GpuMinute, GpuRollup, ServerMinute
from golocal.db.rollups import rollup_telemetry
from golocal.db.telemetry import register_gpu, register_server
from golocal.jobs.telemetry import maintain_telemetry
from tests.jobs.telemetry_fixtures import settings_for

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
AGES = (timedelta(hours=30), timedelta(hours=10), timedelta(hours=1))


def minutes_of(database, model, key: str, ident: int) -> int:
    with database.session() as session:
        column = getattr(model, key)
        return session.scalar(select(func.count()).select_from(model).where(column == ident))


def test_fleet_minutes_go_after_minute_hours_and_the_rest_after_minute_days(
    database, tmp_path: Path
):
    settings = settings_for(
        tmp_path,
        '[[prometheus]]\nname = "fleet"\nurl = "http://127.0.0.1:9"\nminute_hours = 12\n'
        '[[gpu_agents]]\nname = "node1"\nurl = "http://127.0.0.1:9/metrics"\n',
    )
    gpus = {
        source: register_gpu(
            database, source=source, host=source, gpu_index=0, uuid=f"GPU-{source}",
            name="NVIDIA H100 80GB HBM3", memory_total_mib=81559, power_limit_w=700.0,
            seen_at=NOW,
        )
        for source in ("fleet", "node1")
    }  # fmt: skip
    servers = {
        name: register_server(
            database, name=name, kind="vllm", url="http://x", model="m", seen_at=NOW
        )
        for name in ("fleet/10.0.0.7:8000", "fleet_b/10.0.0.8:8000", "coder")
    }
    times = [NOW - age for age in AGES]
    for gpu_id in gpus.values():
        insert_columns(
            database,
            GpuMinute,
            {"gpu_id": [gpu_id] * 3, "minute": times, "samples": [4] * 3, "util_mean": [50.0] * 3},
        )
    for server_id in servers.values():
        insert_columns(
            database,
            ServerMinute,
            {
                "server_id": [server_id] * 3,
                "minute": times,
                "samples": [4] * 3,
                "requests": [7] * 3,
            },
        )
    rollup_telemetry(database, NOW - timedelta(days=2), NOW)

    maintain_telemetry(database, settings, now=NOW)

    assert minutes_of(database, GpuMinute, "gpu_id", gpus["fleet"]) == 2  # 30 h > 12 h
    assert minutes_of(database, GpuMinute, "gpu_id", gpus["node1"]) == 3  # minute_days = 14
    assert minutes_of(database, ServerMinute, "server_id", servers["fleet/10.0.0.7:8000"]) == 2
    # another source whose name merely starts the same way, and a server scraped directly
    assert minutes_of(database, ServerMinute, "server_id", servers["fleet_b/10.0.0.8:8000"]) == 3
    assert minutes_of(database, ServerMinute, "server_id", servers["coder"]) == 3
    with database.session() as session:
        hours = session.scalar(
            select(func.count())
            .select_from(GpuRollup)
            .where(GpuRollup.gpu_id == gpus["fleet"], GpuRollup.resolution == "hour")
        )
    assert hours == 3  # the rollups of the deleted minutes stay
