"""``golocal report gpus --by minute|hour``: where rows come from, the cap (exit 2), and a
fleet whose Prometheus cannot answer (exit 3, or golocal's own minutes with a note)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from golocal.db.database import Database
from golocal.jobs.gpu_detail import MAX_GPU_MINUTES
from golocal.jobs.gpu_points import store_gpu_points
from golocal.jobs.sources.gpu_metrics import GpuPoint
from tests.cli_runner import Result, run_golocal
from tests.ops.processes import free_port

NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def _store(database: Database, source: str, uuid: str, start: datetime, minutes: int) -> None:
    points = []
    for i in range(minutes * 4):
        at = (start + timedelta(seconds=15 * i)).timestamp()
        point = GpuPoint(host="node1", index=0, uuid=uuid, at=at, name="NVIDIA L40S")
        points.append(
            replace(
                point,
                util_percent=float(10 + i % 4),
                mem_used_mib=1000.0,
                mem_total_mib=46068.0,
                power_w=200.0 + i % 4,
                energy_j=1e6 + 3000.0 * i,
                temperature_c=60.0,
                throttled=0.0,
            )
        )
    store_gpu_points(database, source, points, None, interval=15)


@pytest.fixture
def config(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fleet whose Prometheus is not listening, and the test database."""
    path = tmp_path / "golocal.toml"
    path.write_text(
        f'[[prometheus]]\nname = "fleet"\nurl = "http://127.0.0.1:{free_port()}"\n'
        "minute_hours = 6\n"
    )
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    return path


def report(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> Result:
    """``golocal --config CONFIG report gpus ARGS``."""
    return run_golocal(capsys, "--config", str(config), "report", "gpus", *args)


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


def _local_minutes(
    database: Database,
    capsys: pytest.CaptureFixture[str],
    config: Path,
    stored: int,
    asked: int,
    *args: str,
) -> tuple[datetime, Result]:
    """``stored`` minutes of a directly scraped GPU two hours ago, and the minute report
    of the ``asked`` minutes from their start."""
    start = NOW - timedelta(hours=2)
    _store(database, "node1", "GPU-a", start, stored)
    end = start + timedelta(minutes=asked)
    return start, report(
        capsys, config, "--by", "minute", "--since", _day(start), "--until", _day(end), *args
    )


def test_minutes_of_a_directly_scraped_gpu_come_from_the_database(
    database: Database, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, result = _local_minutes(database, capsys, config, 5, 10, "--csv")

    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["start"] for r in rows] == [
        (start + timedelta(minutes=m)).isoformat() for m in range(5)
    ]
    first, second = rows[0], rows[1]
    assert (first["samples"], first["util_mean_percent"], first["util_peak_percent"]) == (
        "4", "11.5", "13.0",
    )  # fmt: skip
    assert first["from"] == "database"
    assert first["energy_kwh"] == str(round(3 * 3000.0 / 3.6e6, 6))  # the first has no baseline
    assert second["energy_kwh"] == str(round(4 * 3000.0 / 3.6e6, 6))


def test_hours_come_from_the_rollups(
    database: Database, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = (NOW - timedelta(hours=3)).replace(minute=0)
    _store(database, "fleet", "GPU-f", start, 90)  # a fleet GPU: its hours are rollups too

    result = report(
        capsys, config, "--by", "hour",
        "--since", _day(start), "--until", _day(start + timedelta(hours=2)), "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert [(r["start"], r["minutes"], r["samples"]) for r in body["rows"]] == [
        (start.isoformat(), 60, 240),
        ((start + timedelta(hours=1)).isoformat(), 30, 120),
    ]
    assert body["rows"][0]["power_peak_w"] == 203.0
    assert body["gpus"][0]["from"] == "database"


def test_over_the_cap_is_refused_before_reading(
    database: Database, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(database, "node1", "GPU-a", NOW - timedelta(hours=1), 1)
    _store(database, "fleet", "GPU-f", NOW - timedelta(hours=1), 1)
    days = MAX_GPU_MINUTES // (2 * 1440) + 1

    result = report(
        capsys, config, "--by", "minute",
        "--since", (NOW - timedelta(days=days)).date().isoformat(),
    )  # fmt: skip

    assert result.exit_code == 2
    assert "over the cap of 100,000" in result.stderr
    assert "--by hour" in result.stderr and "--gpu" in result.stderr
    assert "Prometheus" not in result.stderr  # refused before anything was asked


def test_fleet_minutes_when_prometheus_cannot_answer(
    database: Database, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recent = NOW - timedelta(hours=1)
    old = NOW - timedelta(hours=30)
    _store(database, "fleet", "GPU-f", old, 3)
    _store(database, "fleet", "GPU-f", recent, 3)
    asked = ("--config", str(config), "report", "gpus", "--by", "minute", "--json")

    # within the fleet's minute_hours: golocal's own minutes, and a note saying so
    within = run_golocal(capsys, *asked, "--since", _day(recent - timedelta(minutes=5)))
    assert within.exit_code == 0, within.stderr
    assert [r["from"] for r in json.loads(within.stdout)["rows"]] == ["database"] * 3
    assert "cannot reach" in within.stderr and "own store" in within.stderr

    # older: neither can give the minutes; no row printed, exit 3
    older = run_golocal(
        capsys, *asked, "--since", _day(old), "--until", _day(old + timedelta(minutes=30))
    )
    assert older.exit_code == 3
    assert older.stdout == ""
    assert "cannot read the minutes of 1 GPUs" in older.stderr
    assert "only 6 h" in older.stderr and "--by hour" in older.stderr


def test_minutes_past_their_retention_are_said_to_be_gone(
    database: Database, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(database, "node1", "GPU-a", NOW - timedelta(hours=1), 2)

    result = report(
        capsys, config, "--by", "minute", "--gpu", "GPU-a",
        "--since", (NOW - timedelta(days=20)).date().isoformat(), "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["rows"]) == 2
    assert "scrapes directly 14 days (retention.minute_days): none before" in result.stderr


def test_the_table_names_where_the_minutes_came_from(
    database: Database, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, result = _local_minutes(database, capsys, config, 2, 5)

    assert result.exit_code == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    stamp = f"{start:%m-%d}", f"{start:%H:%M}"
    assert [line[:4] for line in lines if tuple(line[:2]) == stamp] == [[*stamp, "node1", "0"]]
    assert "from database" in result.stdout
    assert "reading minutes" not in result.stdout + result.stderr  # no bar when piped
