"""Collecting from a Prometheus fleet (its HTTP API): dcgm-exporter series and vLLM instances."""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.db.models import Gpu, GpuMinute
from golocal.db.sources import source_state
from golocal.jobs.telemetry import collect_telemetry
from tests.fakes.dcgm import DcgmGpu, matrix, prometheus_error, query_range_handler
from tests.fakes.server import LoopbackServer
from tests.jobs.telemetry_fixtures import T0, fake, settings_for

__all__ = ["fake"]  # the fixture


def _prometheus_settings(tmp_path: Path, url: str) -> Settings:
    return settings_for(
        tmp_path, f'[[prometheus]]\nname = "fleet"\nurl = "{url}"\nstep_seconds = 15\n'
    )


def test_prometheus_fleet_query_range(
    database: Database, fake: LoopbackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gpus = [DcgmGpu(0, "GPU-aaa", host="node7"), DcgmGpu(1, "GPU-bbb", host="node7")]
    base = T0.timestamp()
    values = {
        "DCGM_FI_DEV_GPU_UTIL": lambda t: "NaN" if t < base - 200 else "80",
        "DCGM_FI_DEV_FB_USED": lambda t: "1000",
        "DCGM_FI_DEV_FB_FREE": lambda t: "79000",
        "DCGM_FI_DEV_POWER_USAGE": lambda t: "300.25",
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": lambda t: f"{(t - base + 300) * 300000:.6e}",
        # DCGM_FI_DEV_GPU_TEMP: an empty result (no such series)
    }
    fake.script(
        "/api/v1/query_range",
        prometheus_error("timeout", "query timed out in expression evaluation", 503),
        query_range_handler(values, gpus, host_label="hostname", warnings=["partial data"]),
    )
    fake.script("/api/v1/query", matrix([]))  # no vLLM counters in this fleet
    settings = _prometheus_settings(tmp_path, fake.url)

    with caplog.at_level(logging.WARNING):
        (result,) = collect_telemetry(database, settings, now=T0)

    assert result.ok, result.message
    assert "partial data" in caplog.text
    state = source_state(database, "fleet")
    assert state is not None and state.cursor is not None
    with database.session() as session:
        inventory = session.scalars(select(Gpu).order_by(Gpu.gpu_index)).all()
        minutes = session.scalars(
            select(GpuMinute).where(GpuMinute.gpu_id == inventory[0].id)
        ).all()
    assert [(g.host, g.uuid) for g in inventory] == [("node7", "GPU-aaa"), ("node7", "GPU-bbb")]
    # NaN is "no data": utilisation is only averaged over the minutes that have it
    assert all(m.util_mean in (None, 80.0) for m in minutes)
    assert any(m.util_mean is None for m in minutes)
    assert all(m.temp_max_c is None for m in minutes)
    # 300 W for 15 s between consecutive points = 4500 J per sample after the first
    energy = sum(m.energy_j or 0 for m in minutes)
    samples = sum(m.samples for m in minutes)
    assert math.isclose(energy, (samples - 1) * 4500, rel_tol=1e-6)

    # the next collection starts after the cursor: no sample is stored twice
    collect_telemetry(database, settings, now=T0 + timedelta(seconds=30))
    with database.session() as session:
        total = sum(
            session.scalars(select(GpuMinute.samples).where(GpuMinute.gpu_id == inventory[0].id))
        )
    assert total == samples + 2


def test_prometheus_bad_data_is_reported(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    fake.script(
        "/api/v1/query_range",
        prometheus_error("bad_data", 'invalid parameter "start": cannot parse', 400),
    )
    (result,) = collect_telemetry(database, _prometheus_settings(tmp_path, fake.url), now=T0)
    assert not result.ok
    assert result.message == 'Prometheus bad_data: invalid parameter "start": cannot parse'
    assert len(fake.requests) == 1  # not retried


def test_prometheus_unavailable_gives_up_after_retries(
    database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    fake.script("/api/v1/query_range", prometheus_error("unavailable", "too many queries", 503))
    (result,) = collect_telemetry(database, _prometheus_settings(tmp_path, fake.url), now=T0)
    assert not result.ok
    assert result.message == "Prometheus unavailable: too many queries"
    assert len(fake.requests) == 3
