"""The decision framework on synthetic evidence: zones, verdicts, the five points."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from golocal.db.attribution import AttributionEntry
from golocal.jobs.framework import Scenario, Verdict, assess
from tests.jobs.advisor_fixtures import Usage, make_evidence, make_settings

OWNER = {("ops_owner", ""): "alice"}


@pytest.mark.parametrize(
    ("per_day", "zone", "leans"),
    [
        (499, "below", "cloud"),
        (500, "between", "neutral"),
        (2000, "between", "neutral"),
        (2001, "above", "neutral"),
    ],
)
def test_zone_edges(per_day, zone, leans):
    # $0.001/request puts the break-even far above these volumes
    evidence = make_evidence([Usage(per_day=per_day, cost_per_day=Decimal(per_day) / 1000)])
    result = assess(evidence, make_settings())
    assert result.zone is not None and result.zone.value == zone
    assert result.point("volume").leans == leans
    assert result.as_json()["volume"]["mean_per_day"] == per_day


def test_no_data_is_insufficient_and_says_what_is_missing():
    result = assess(make_evidence([], days=0), make_settings())
    assert result.verdict is Verdict.INSUFFICIENT_DATA
    assert result.zone is None
    assert any("at least 7 days (have 0 of the last 7)" in m for m in result.missing)
    assert any("cloud spend to price a request" in m for m in result.missing)
    assert result.as_json()["cost_model"]["break_even_requests_per_day"] is None


def test_fewer_days_than_min_days_is_insufficient_never_a_guess():
    result = assess(make_evidence([Usage(per_day=5000)], days=5), make_settings())
    assert result.verdict is Verdict.INSUFFICIENT_DATA
    assert result.missing == ["usage data on at least 7 days (have 5 of the last 7)"]
    assert result.break_even is not None  # the numbers are still shown


def test_one_cloud_source_only_gives_a_verdict():
    result = assess(make_evidence([Usage(per_day=300)]), make_settings())
    assert result.verdict is Verdict.CLOUD
    assert result.sources == ["openai"]
    assert result.cloud_share == 1.0
    # leaving the below zone opens the cost question; only the break-even changes the answer
    assert result.break_even is not None and result.break_even > 500
    assert result.what_would_change[0].startswith(
        f"volume above the break-even {result.break_even:,}/day"
    )


def test_local_source_only_has_no_cloud_price():
    usage = Usage(model="qwen2.5-coder-32b", location="local", source="vllm", cost_per_day=None)
    result = assess(make_evidence([usage]), make_settings())
    assert result.verdict is Verdict.INSUFFICIENT_DATA
    assert result.missing == [
        "cloud spend to price a request (no priced cloud usage in the window)"
    ]


def test_break_even_matches_a_hand_computation():
    # local: 36000/36 = 1000 capex; 1000 W x 0.5 duty x 729.6 h = 364.8 kWh x $0.20 x 1.5
    # = 109.44; 10 h x $50 = 500; other 90.56 -> 1700.00 a month.
    # cloud: $70 / 7,000 requests = $0.01 -> break-even 1700 / (0.01 x 30.4) = 5592.1 -> 5593
    result = assess(make_evidence([Usage(per_day=1000, cost_per_day=Decimal(10))]), make_settings())
    assert result.local.total == Decimal("1700.00")
    assert result.local.energy_kwh == Decimal("364.8")
    assert result.cost_per_request == Decimal("0.01")
    assert result.break_even == 5593
    # capacity: 1000 tok/s x 86400 x 0.5 / 2000 tokens per request
    assert result.capacity == 21600
    data = result.as_json()["cost_model"]
    assert data["local_monthly_usd"] == "1700.00"
    assert data["cloud_cost_per_request_usd"] == "0.0100"
    assert data["energy_source"] == "profile"


def test_measured_gpu_power_replaces_profile_watts():
    from golocal.db.evidence import GpuPower

    gpu = GpuPower(1, 168.0, 0.0, 250.0, 0.0, 0.0, "hour")
    result = assess(make_evidence([Usage()], gpu=gpu), make_settings())
    assert result.local.energy_source == "measured"
    assert result.local.energy_kwh == Decimal("182.4")  # 250 W x 729.6 h
    with_limit = GpuPower(1, 168.0, 0.0, 250.0, 0.0, 0.0, "hour", load_share=0.4)
    result = assess(make_evidence([Usage()], gpu=with_limit), make_settings())
    assert result.local.energy_kwh == Decimal("291.84")  # 1000 W x 0.4 x 729.6 h


def test_unpriced_model_is_named_and_left_out_of_the_price():
    usages = [
        Usage(model="gpt-4.1", per_day=1000, cost_per_day=Decimal(10)),
        Usage(model="mystery-model", per_day=1000, cost_per_day=None),
    ]
    result = assess(make_evidence(usages), make_settings())
    assert result.facts.unpriced_models == ["mystery-model"]
    assert result.cost_per_request == Decimal("0.01")  # priced spend / priced requests only
    assert result.as_json()["cost_model"]["unpriced_models"] == ["mystery-model"]


def test_only_unpriced_usage_is_insufficient_naming_the_model():
    result = assess(make_evidence([Usage(model="mystery", cost_per_day=None)]), make_settings())
    assert result.verdict is Verdict.INSUFFICIENT_DATA
    assert result.missing == ["cloud spend to price a request (no cost for: mystery)"]


def test_no_ops_owner_means_cloud_even_when_local_is_cheaper():
    evidence = make_evidence(
        [Usage(model="gpt-4.1-mini", per_day=9000, cost_per_day=Decimal(90))],
        answers={("ops_owner", ""): "none"},
    )
    result = assess(evidence, make_settings())
    assert result.break_even is not None and result.mean_per_day > result.break_even
    assert result.verdict is Verdict.CLOUD
    assert result.point("ops_owner").leans == "cloud"
    assert "nobody owns" in result.reasons[0]
    assert any("ops owner" in change for change in result.what_would_change)


def test_cheap_local_with_an_owner_and_small_models_is_local():
    evidence = make_evidence(
        [Usage(model="gpt-4.1-mini", per_day=9000, cost_per_day=Decimal(90))], answers=OWNER
    )
    result = assess(evidence, make_settings())
    assert result.verdict is Verdict.LOCAL
    assert result.point("model_size").leans == "local"


def test_peak_above_capacity_is_hybrid():
    usage = Usage(model="gpt-4.1-mini", per_day=30000, cost_per_day=Decimal(300))
    result = assess(make_evidence([usage], answers=OWNER), make_settings())
    assert result.capacity == 21600
    assert result.verdict is Verdict.HYBRID
    assert any("exceeds local capacity" in reason for reason in result.reasons)


@pytest.mark.parametrize("how", ["declared", "attributed"])
def test_regulated_code_with_low_volume_is_hybrid_and_says_why(how):
    answers = dict(OWNER)
    attributions = []
    if how == "declared":
        answers[("code_location", "proj_health")] = "regulated"
    else:
        attributions.append(
            AttributionEntry(
                "openai", "project", "proj_health", "care", "regulated", None, "x", None
            )
        )
    usages = [Usage(per_day=200, project="proj_health"), Usage(per_day=100, project="proj_web")]
    result = assess(
        make_evidence(usages, answers=answers, attributions=attributions), make_settings()
    )
    assert result.zone is not None and result.zone.value == "below"
    assert result.verdict is Verdict.HYBRID
    assert "regulated" in result.reasons[0]
    code = result.point("code_location")
    assert (code.leans, code.source) == ("local", "declared")
    assert "67% of cloud requests came from regulated/proprietary projects" in code.evidence


def test_fine_tuned_usage_makes_exit_cost_lean_cloud():
    usages = [Usage(model="ft:gpt-4.1-mini:acme:review:9xQ2", per_day=100), Usage(per_day=900)]
    result = assess(make_evidence(usages), make_settings())
    point = result.point("exit_cost")
    assert (point.leans, point.source) == ("cloud", "measured")
    assert "ft:gpt-4.1-mini:acme:review:9xQ2" in point.evidence


def test_frontier_share_is_measured_and_declared_answer_wins():
    usages = [
        Usage(model="claude-sonnet-4-5", per_day=800),
        Usage(model="claude-haiku-4-5", per_day=200),
    ]
    measured = assess(make_evidence(usages), make_settings()).point("model_size")
    assert (measured.leans, measured.source) == ("cloud", "measured")
    assert "80% of cloud requests went to frontier-class models" in measured.evidence
    declared = assess(
        make_evidence(usages, answers={("model_size", ""): "local_capable"}), make_settings()
    ).point("model_size")
    assert (declared.leans, declared.source) == ("local", "declared")


def test_unknown_points_say_so():
    result = assess(make_evidence([Usage()]), make_settings())
    assert {p.id: (p.leans, p.source) for p in result.checklist} == {
        "volume": ("neutral", "measured"),
        "code_location": ("unknown", "default"),
        "model_size": ("cloud", "measured"),
        "ops_owner": ("unknown", "default"),
        "exit_cost": ("neutral", "measured"),
    }


def test_estimated_request_counts_are_flagged():
    usage = Usage(model="claude-haiku-4-5", provider="anthropic", count_reported=False)
    result = assess(make_evidence([usage]), make_settings())
    assert result.volume_estimated is True
    assert result.as_json()["volume"]["estimated"] is True


@pytest.mark.parametrize(
    ("scenario", "verdict"),
    [
        (Scenario(), Verdict.CLOUD),
        (Scenario(requests_per_day=9000), Verdict.LOCAL),
        (Scenario(cloud_price_factor=Decimal("6")), Verdict.LOCAL),
        (Scenario(electricity_usd_per_kwh=Decimal("0")), Verdict.CLOUD),
    ],
)
def test_what_if_reruns_the_model(scenario, verdict):
    usage = Usage(model="gpt-4.1-mini", per_day=1000, cost_per_day=Decimal(10))
    result = assess(make_evidence([usage], answers=OWNER), make_settings(), scenario)
    assert result.verdict is verdict


def test_what_if_other_profile_prices_it_without_measured_power():
    from golocal.db.evidence import GpuPower

    gpu = GpuPower(1, 168.0, 0.0, 250.0, 0.0, 0.0, "hour")
    evidence = make_evidence([Usage()], gpu=gpu)
    result = assess(evidence, make_settings(), Scenario(profile="h100x8-node"))
    assert result.local.profile == "h100x8-node"
    assert result.local.energy_source == "profile"
    assert result.local.capex_monthly == Decimal("300000") / 36


def test_billed_spend_from_cost_reports_prices_that_provider():
    from dataclasses import replace

    usages = [Usage(model="gpt-4.1", per_day=1000, cost_per_day=None)]
    evidence = replace(make_evidence(usages), billed={"openai": Decimal("140")})
    result = assess(evidence, make_settings())
    assert result.facts.unpriced_models == []
    assert result.cost_per_request == Decimal("0.02")  # $140 / 7,000 requests


def test_unknown_scenario_profile_is_a_usage_error():
    from golocal.errors import UsageError

    with pytest.raises(UsageError, match="unknown hardware profile 'tpu-pod'"):
        assess(make_evidence([Usage()]), make_settings(), Scenario(profile="tpu-pod"))


@pytest.mark.parametrize(
    ("usages", "answers"),
    [
        ([Usage(per_day=300)], {}),
        ([Usage(per_day=9000, cost_per_day=Decimal(90))], OWNER),  # frontier: hybrid
        ([Usage(model="gpt-4.1-mini", per_day=9000, cost_per_day=Decimal(90))], OWNER),
        ([Usage(per_day=200)], {**OWNER, ("code_location", ""): "proprietary"}),
        ([Usage(per_day=9000, cost_per_day=Decimal(90))], {("ops_owner", ""): "none"}),
        # proprietary, cheaper locally, peak above capacity: hybrid for capacity alone
        (
            [Usage(model="gpt-4.1-mini", per_day=30000, cost_per_day=Decimal(300))],
            {**OWNER, ("code_location", ""): "proprietary"},
        ),
    ],
)
def test_every_verdict_says_what_would_change_it(usages, answers):
    result = assess(make_evidence(usages, answers=answers), make_settings())
    assert result.verdict is not Verdict.INSUFFICIENT_DATA
    assert result.reasons
    assert result.what_would_change


@pytest.mark.parametrize(
    ("count", "text"), [(0, "no GPU incidents"), (1, "1 GPU incident"), (12, "12 GPU incidents")]
)
def test_ops_point_counts_incidents_in_words(count, text):
    evidence = make_evidence([Usage()], answers=OWNER)
    evidence = dataclasses.replace(evidence, gpu_incidents=count)
    assert f"{text} in the window" in assess(evidence, make_settings()).point("ops_owner").evidence
