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
    # the spare capacity is what the fleet carries beside today's local load
    assert 0 < hardware["spare_requests_per_day"] < hardware["capacity_requests_per_day"]
    assert 0 < hardware["util_mean"] < 1
    # renting the same 64 GPUs on demand: 64 × $2.69/h (catalogue) × 729.6 h a month
    assert hardware["rental_monthly_usd"] == "125607.94"


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


def test_verdict_states_every_option_the_best_and_its_monthly_saving(fleet_db):
    reply = _verdict(fleet_db)
    data = reply.data
    options = data["options"]
    assert set(options) == {"today", "cloud", "local", "hybrid"}
    for option in options.values():
        assert Decimal(option["monthly_usd"]) >= 0 and "tco_3y_usd" in option
    assert 0 <= options["hybrid"]["local_share"] <= 1
    best = data["best_option"]
    assert best in options and options[best]["feasible"] is True
    feasible = [Decimal(o["monthly_usd"]) for o in options.values() if o["feasible"]]
    assert Decimal(options[best]["monthly_usd"]) == min(feasible)
    saving = Decimal(options["today"]["monthly_usd"]) - Decimal(options[best]["monthly_usd"])
    assert Decimal(data["monthly_saving_usd"]) == saving
    money = next(line for line in reply.text.splitlines() if line.startswith("Money a month:"))
    assert f"best: {best}" in money and "3-year TCO" in money


def _ask(db, question):
    return answer(question, Services(settings=Settings(), database=db, clock=lambda: NOW))


def test_how_much_would_we_save_answers_with_the_verdicts_figures(fleet_db):
    verdict = _verdict(fleet_db).data
    reply = _ask(fleet_db, "how much would we save?")
    assert reply.intent == "savings"
    assert reply.data["monthly_saving_usd"] == verdict["monthly_saving_usd"]
    assert reply.data["options"] == verdict["options"]
    first = reply.text.splitlines()[0]
    assert first.startswith(f"Best option: {verdict['best_option']}")
    assert "3-year TCO:" in reply.text and "Payback:" in reply.text


def test_is_local_cheaper_is_answered_with_the_money(fleet_db):
    reply = _ask(fleet_db, "is local cheaper?")
    assert any(line.startswith("Money a month:") for line in reply.text.splitlines())


@pytest.mark.parametrize(
    ("question", "gpu", "count"),
    [
        ("what if we bought 2 H100s?", "h100-sxm", 2),
        ("what if we bought 4 RTX 5090s?", "rtx-5090", 4),
        ("what if we had 2 RTX 4090s?", "rtx-4090", 2),
        ("what if we bought a node of 8 H200?", "h200", 8),
    ],
)
def test_what_if_hardware_prices_exactly_what_was_asked(small_db, question, gpu, count):
    reply = _ask(small_db, question)
    hardware = reply.data["assessment"]["hardware"]
    assert hardware["source"] == "catalogue" and hardware["owned"] is False
    assert [(g["catalogue"], g["count"]) for g in hardware["gpus"]] == [(gpu, count)]
    assert Decimal(hardware["purchase_usd"]) > 0
    # today still runs the team's own RTX 4090: the option 'today' did not change
    assert (
        reply.data["assessment"]["options"]["today"] == _verdict(small_db).data["options"]["today"]
    )


def test_what_if_volume_doubled_scales_the_measured_volume(small_db):
    before = _verdict(small_db).data["volume"]["mean_per_day"]
    reply = _ask(small_db, "what if volume doubled?")
    assert reply.data["understood"] == ["volume ×2"]
    assert reply.data["assessment"]["volume"]["mean_per_day"] == pytest.approx(2 * before, abs=0.1)


def test_with_a_week_of_history_the_forecast_says_it_has_too_little(small_db):
    data = _verdict(small_db).data["forecast"]
    assert data["enough_history"] is False and data["history_weeks"] < data["min_weeks"]
    assert data["crosses_2000_per_day_week"] is None
    reply = _ask(small_db, "when will we pass 2,000 a day?")
    assert reply.intent == "forecast"
    assert "too little history" in reply.text


def test_a_what_if_with_hardware_the_model_does_not_fit_says_so(small_db, monkeypatch):
    monkeypatch.setenv("GOLOCAL_ADVISOR__MODEL", "llama-3.3-70b")
    settings = Settings()
    reply = answer(
        "what if we bought an RTX 4090?",
        Services(settings=settings, database=small_db, clock=lambda: NOW),
    )
    hardware = reply.data["assessment"]["hardware"]
    assert hardware["capacity_requests_per_day"] == 0
    assert any("does not fit" in note for note in hardware["notes"])
    assert "Note: Llama 3.3 70B does not fit 1× RTX 4090 24 GB" in reply.text


def test_own_gpus_capacity_is_calibrated_by_the_teams_servers(small_db):
    reply = _verdict(small_db)
    hardware = reply.data["hardware"]
    # the demo's vLLM server runs the advisor's model on that GPU: its measured decode rate
    # at its measured concurrency calibrates the physics, and both surfaces say so
    assert hardware["capacity_calibrated"] is True
    assert "demo:coder-01" in hardware["capacity_calibration"]
    assert "tok/s per sequence measured" in hardware["capacity_calibration"]
    assert "(calibrated: " in reply.text


def test_calibration_scales_capacity_with_the_measured_decode_rate():
    from golocal.db.inventory import GpuGroup, ServerDecode
    from golocal.jobs.hardware import Load, fleet_hardware

    advisor = Settings().advisor
    groups = [GpuGroup("NVIDIA GeForce RTX 4090", 24564, 1, 1, 0.5, 300.0)]
    load = Load(input_tokens=2000, output_tokens=300)
    physics = fleet_hardware(advisor, groups, load)
    assert physics is not None and physics.calibration == "" and physics.capacity

    def at(rate: float) -> int | None:
        # one sequence running for 10 hours at ``rate`` tokens a second
        server = ServerDecode(
            "box", "Qwen/Qwen2.5-Coder-32B-Instruct", round(rate * 36000), 36000.0, 10
        )
        hardware = fleet_hardware(advisor, groups, load, [server])
        assert hardware is not None and hardware.calibration
        return hardware.capacity

    slow, fast = at(5.0), at(50.0)
    assert slow is not None and fast is not None
    assert slow < physics.capacity < fast
    # a server of another model calibrates nothing
    other = ServerDecode("box", "meta-llama/Llama-3.3-70B-Instruct", 10**6, 36000.0, 10)
    assert fleet_hardware(advisor, groups, load, [other]).calibration == ""
