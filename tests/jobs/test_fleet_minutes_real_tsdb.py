"""Minute detail of a Prometheus fleet read on demand from a real Prometheus and a real
VictoriaMetrics gives, minute for minute, the figures collection stored for that minute.

The engine scrapes ``golocal agent`` (scripted NVML, node-a) and a dcgm-exporter-format
endpoint (node-b) every second while a thread keeps changing the dcgm GPUs' utilisation,
power and energy, so a minute's means, maxima and energy are made of many different samples.
Once the minute the data starts in is over, one collection stores it; ``report gpus --by minute``
then reads the same minute back from the engine (whole fleet, and filtered to two GPUs).
An hour the rollups show but the engine never held is refused (exit 3), never zeros.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from golocal.db.database import Database, open_database
from golocal.db.gpu_detail import stored_minutes
from golocal.db.models import Gpu
from golocal.db.rollups import GPU, merge_minutes, rollup_telemetry
from golocal.jobs.gpu_detail import DetailRow, DetailUnavailable, build_gpu_detail
from golocal.jobs.telemetry import collect_telemetry
from tests.fakes.dcgm import DcgmGpu
from tests.jobs.telemetry_fixtures import settings_for
from tests.ops.processes import wait_for
from tests.tsdb import Tsdb

pytest_plugins = ["tests.jobs.test_fleet_real_tsdb"]  # its agent and dcgm fixtures


@pytest.fixture
def changing(dcgm: tuple[str, list[DcgmGpu]]) -> Iterator[tuple[str, list[DcgmGpu]]]:
    """The dcgm GPUs' values change every 0.3 s while the test runs."""
    url, gpus = dcgm
    stop = threading.Event()

    def vary() -> None:
        tick = 0
        while not stop.wait(0.3):
            tick += 1
            for gpu in gpus:
                gpu.util = float((tick * 7 + gpu.gpu * 13) % 101)
                gpu.power = 90.0 + (tick * 11 + gpu.gpu) % 250 + 0.25
                gpu.energy_mj += 1000.0 * (50 + tick % 9)

    thread = threading.Thread(target=vary, daemon=True)
    thread.start()
    yield url, gpus
    stop.set()
    thread.join()


def _without_origin(row: DetailRow) -> DetailRow:
    return replace(row, origin="")


def test_minutes_read_from_the_engine_are_the_minutes_collection_stored(
    every_tsdb, agent, changing, tmp_path: Path
) -> None:
    # both engines scrape the same endpoints, so one wait for the end of a minute serves both
    engines = every_tsdb([agent[0], changing[0]])
    energy = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION or golocal_gpu_energy_joules_total"
    for engine in engines:
        engine.wait_until(f"count({energy})", lambda values: values == [4.0])
    # the minute the engines' data starts in (its first samples have no energy baseline
    # in either read), or the next when this one has under 10 s (10 scrapes) left to vary in
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    if now - minute > timedelta(seconds=50):
        minute += timedelta(minutes=1)
    wait_for(
        lambda: datetime.now(UTC) > minute + timedelta(minutes=1, seconds=2),
        timeout=90,  # up to 10 s of this minute, the next, and 2 s
        what="the end of the minute",
    )
    for engine in engines:
        database = open_database(f"sqlite:///{tmp_path / engine.engine}.db")
        try:
            _check_engine(database, engine, minute, tmp_path / f"{engine.engine}-config")
        finally:
            database.dispose()


def _check_engine(database: Database, engine: Tsdb, minute: datetime, folder: Path) -> None:
    folder.mkdir()
    settings = settings_for(
        folder, f'[[prometheus]]\nname = "fleet"\nurl = "{engine.url}"\nstep_seconds = 1\n'
    )
    (collected,) = collect_telemetry(database, settings, now=datetime.now(UTC))
    assert collected.ok, collected.message
    with database.session() as session:
        ids = {g.uuid: g.id for g in session.scalars(select(Gpu))}
    stored = sorted(
        (
            DetailRow.of(row, start=row["minute"], minutes=1, origin="database")
            for row in stored_minutes(database, minute, minute + timedelta(minutes=1), ids.values())
        ),
        key=lambda r: r.gpu_id,
    )
    assert len(stored) == 4
    dcgm_rows = [r for r in stored if r.gpu_id in (ids["GPU-b0"], ids["GPU-b1"])]
    assert all(r.util_max is not None and r.util_mean != r.util_max for r in dcgm_rows)
    assert all(r.energy_j for r in stored if r.gpu_id in (ids["GPU-b0"], ids["GPU-b1"]))

    read = build_gpu_detail(
        database, settings, by="minute", since=minute, until=minute + timedelta(minutes=1)
    )
    narrowed = build_gpu_detail(
        database, settings, by="minute", since=minute, until=minute + timedelta(minutes=1),
        uuids=["GPU-b0", "GPU-a1"],
    )  # fmt: skip

    assert (read.notes, {row.origin for row in read.rows}) == ([], {"prometheus:fleet"})
    assert [_without_origin(r) for r in read.rows] == [_without_origin(r) for r in stored]
    wanted = {ids["GPU-b0"], ids["GPU-a1"]}
    assert [_without_origin(r) for r in narrowed.rows] == [
        _without_origin(r) for r in stored if r.gpu_id in wanted
    ]

    # four hours at 1 s steps is past Prometheus' 11,000 points per series: cut, same rows
    long_since = minute - timedelta(hours=4)
    long = build_gpu_detail(
        database, settings, by="minute", since=long_since, until=minute + timedelta(minutes=1),
        uuids=["GPU-b0"],
    )  # fmt: skip
    assert (long.notes, {r.origin for r in long.rows}) == ([], {"prometheus:fleet"})
    stored_b0 = stored_minutes(database, long_since, minute + timedelta(minutes=1), [ids["GPU-b0"]])
    assert [_without_origin(r) for r in long.rows] == [
        _without_origin(DetailRow.of(row, start=row["minute"], minutes=1, origin="database"))
        for row in stored_b0
    ]

    # an hour golocal rolled up from minutes, which the engine never held: refused
    past = minute.replace(minute=0) - timedelta(days=3)
    merge_minutes(
        database, GPU, [{"gpu_id": ids["GPU-a0"], "minute": past, "samples": 4, "util_mean": 5.0}]
    )
    rollup_telemetry(database, past, past + timedelta(hours=1), specs=(GPU,))
    with pytest.raises(DetailUnavailable, match="answers no minutes for 1 GPU-hours") as refused:
        build_gpu_detail(
            database, settings, by="minute", since=past, until=past + timedelta(hours=1),
            uuids=["GPU-a0"],
        )  # fmt: skip
    assert refused.value.exit_code == 3
