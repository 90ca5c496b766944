"""``golocal report gpus``, and the demo's rollups agreeing with the real rollup code."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from rich.console import Console
from sqlalchemy import select

from golocal.bot.cli import cli
from golocal.bot.commands.report import gpu_table
from golocal.db.database import Database
from golocal.db.models import GpuRollup
from golocal.db.rollups import GPU, rollup_telemetry
from golocal.db.telemetry import mark_gpu_lost
from golocal.jobs.demo import DemoOptions, generate_demo
from golocal.jobs.gpu_points import store_gpu_points
from golocal.jobs.gpu_report import build_gpu_report
from golocal.jobs.sources.gpu_metrics import GpuPoint

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def _points(host: str, uuid: str, index: int, util: float, minutes: int) -> list[GpuPoint]:
    start = DAY + timedelta(hours=9)
    return [
        GpuPoint(
            host=host,
            index=index,
            uuid=uuid,
            at=(start + timedelta(seconds=15 * i)).timestamp(),
            name="NVIDIA L40S",
            util_percent=util,
            mem_used_mib=44000.0,
            mem_total_mib=46068.0,
            power_w=300.0,
            energy_j=1_000_000.0 + 15 * 300 * i,
            temperature_c=70.0,
            throttled=1.0 if i % 4 == 0 else 0.0,
        )
        for i in range(minutes * 4)
    ]


def test_report_gpus_json_and_table(database: Database, database_url: str) -> None:
    store_gpu_points(database, "node1", _points("node1", "GPU-a", 0, 95.0, 30), None, interval=15)
    store_gpu_points(database, "node1", _points("node1", "GPU-b", 1, 20.0, 30), None, interval=15)
    mark_gpu_lost(database, source="node1", host="node1", gpu_index=1, uuid="GPU-b", seen_at=DAY)
    runner = CliRunner(env={"GOLOCAL_DATABASE_URL": database_url})

    result = runner.invoke(
        cli, ["report", "gpus", "--since", "2026-03-02", "--until", "2026-03-03", "--json"]
    )

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    hot, cold = body["gpus"]
    assert (hot["host"], hot["gpu"], hot["name"], hot["minutes"]) == ("node1", 0, "NVIDIA L40S", 30)
    assert hot["util_mean_percent"] == 95.0
    assert hot["saturated_minutes"] == 30.0  # util ≥ 90 % and memory ≥ 90 %
    assert hot["throttled_minutes"] == 7.5  # one sample in four
    # 300 W for 30 minutes, less the first 15 s sample that only set the energy baseline
    assert hot["energy_kwh"] == pytest.approx(300 * (30 * 60 - 15) / 3.6e6, abs=1e-3)
    assert hot["energy_estimated"] is False
    assert hot["stale"] is True  # nothing since 2026-03-02 09:30
    assert cold["saturated_minutes"] == 0.0
    assert cold["lost"] is True and cold["stale"] is False
    assert body["totals"] == {
        "gpus": 2,
        "devices": 2,
        "mig_instances": 0,
        "memory_total_mib": 2 * 46068,
        "memory_used_mean_mib": 2 * 44000.0,
        "energy_kwh": pytest.approx(0.3, abs=0.01),
        "lost": 1,
        "stale": 1,
    }

    table = runner.invoke(
        cli,
        ["report", "gpus", "--since", "2026-03-02", "--until", "2026-03-03"],
        env={"COLUMNS": "200"},
    )
    assert table.exit_code == 0, table.output
    assert "LOST" in table.output and "stale" in table.output

    empty = runner.invoke(cli, ["report", "gpus", "--since", "2026-01-01", "--until", "2026-01-02"])
    assert "No GPUs known" in empty.output


def test_gpu_table_fits_an_80_column_terminal(sqlite_database: Database) -> None:
    database = sqlite_database
    store_gpu_points(
        database, "node1", _points("gpu-node-01", "GPU-a", 0, 95.0, 30), None, interval=15
    )
    console = Console(width=80, record=True, file=io.StringIO())

    console.print(gpu_table(build_gpu_report(database, DAY.date(), DAY.date() + timedelta(days=1))))

    text = console.export_text()
    assert "…" not in text  # no figure cut short
    row = next(line for line in text.splitlines() if "gpu-node-01" in line)
    assert row.split() == [
        "gpu-node-01",
        "0",
        "L40S",
        "95/95",
        "43.0/43.0",
        "300/300",
        "0.15",
        "30",
        "8",
        "stale",
    ]


def test_report_gpus_bad_range(database_url: str) -> None:
    runner = CliRunner(env={"GOLOCAL_DATABASE_URL": database_url})
    result = runner.invoke(
        cli, ["report", "gpus", "--since", "2026-03-02", "--until", "2026-03-01"]
    )
    assert result.exception is not None
    assert getattr(result.exception, "exit_code", None) == 2


def test_demo_rollups_match_the_rollup_code(sqlite_database: Database) -> None:
    now = datetime(2026, 3, 5, 12, tzinfo=UTC)
    generate_demo(sqlite_database, DemoOptions(days=3, profile="small"), now=now)
    day = datetime(2026, 3, 4, tzinfo=UTC)  # a whole day with minute rows

    def stored() -> GpuRollup:
        with sqlite_database.session() as session:
            return session.scalars(
                select(GpuRollup).where(
                    GpuRollup.resolution == "day", GpuRollup.bucket_start == day
                )
            ).one()

    demo = stored()
    rollup_telemetry(sqlite_database, day, day + timedelta(days=1), specs=(GPU,))
    real = stored()

    assert real.minutes == demo.minutes == 1440
    for name in (
        "util_mean",
        "util_max",
        "mem_used_mean_mib",
        "power_mean_w",
        "power_max_w",
        "energy_j",
        "saturated_s",
        "throttled_s",
    ):
        assert getattr(real, name) == pytest.approx(getattr(demo, name), rel=0.01, abs=0.1), name
