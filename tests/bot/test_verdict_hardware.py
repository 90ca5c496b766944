"""The verdict prices the team's own GPUs from telemetry, or recommends a purchase."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from golocal.bot.chat import answer
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.database import open_database
from golocal.db.telemetry import delete_telemetry_sources
from golocal.jobs.demo import DemoOptions, generate_demo

NOW = datetime(2026, 3, 11, 15, tzinfo=UTC)


def _demo(tmp_path_factory, profile: str, *, gpus: bool = True):
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp(profile) / 'golocal.db'}")
    generate_demo(db, DemoOptions(days=8, profile=profile), now=NOW)
    if not gpus:
        delete_telemetry_sources(db, prefix="demo")
    return db


@pytest.fixture(scope="module")
def fleet_db(tmp_path_factory):
    db = _demo(tmp_path_factory, "fleet")
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    db = _demo(tmp_path_factory, "small")
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def gpuless_db(tmp_path_factory):
    db = _demo(tmp_path_factory, "team", gpus=False)
    yield db
    db.dispose()


def _verdict(db):
    services = Services(settings=Settings(), database=db, clock=lambda: NOW)
    return answer("should we go local?", services)


def test_fleet_demo_verdict_names_its_64_h100s_from_telemetry(fleet_db):
    reply = _verdict(fleet_db)
    hardware = reply.data["hardware"]
    assert hardware["source"] == "measured" and hardware["owned"] is True
    assert hardware["gpus"] == [
        {"model": "NVIDIA H100 80GB HBM3", "count": 64, "memory_gib": 80, "catalogue": "h100-sxm"}
    ]
    assert hardware["hosts"] == 8
    # owned hardware: its capex is sunk (reported, not charged again); energy is measured
    assert reply.data["cost_model"]["local_monthly_parts"]["capex_monthly_usd"] == "0.00"
    assert hardware["owned_capex_usd"] == "2400000.00"  # 64 × $30,000 + 8 HGX nodes × $60,000
    assert reply.data["cost_model"]["energy_source"] == "measured"
    assert "64× NVIDIA H100 80GB HBM3" in reply.text


def test_one_gpu_demo_verdict_names_its_gpu(small_db):
    reply = _verdict(small_db)
    hardware = reply.data["hardware"]
    assert hardware["source"] == "measured"
    assert [(g["model"], g["count"], g["catalogue"]) for g in hardware["gpus"]] == [
        ("NVIDIA GeForce RTX 4090", 1, "rtx-4090")
    ]
    assert "1× NVIDIA GeForce RTX 4090" in reply.text


def test_team_without_gpus_gets_the_cheapest_purchase_that_carries_its_peak(gpuless_db):
    reply = _verdict(gpuless_db)
    hardware = reply.data["hardware"]
    assert hardware["source"] == "recommended" and hardware["owned"] is False
    peak = reply.data["volume"]["peak_per_day"]
    assert hardware["capacity_requests_per_day"] >= peak
    assert Decimal(hardware["purchase_usd"]) > 0
    assert reply.data["cost_model"]["energy_source"] == "profile"  # nothing measured to use
    assert "recommended purchase" in reply.text
