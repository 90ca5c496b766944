"""The [advisor] settings: shipped profiles, overrides, and errors that name the key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from golocal.config.advisor import Advisor
from golocal.config.settings import ConfigError, load_settings

SHIPPED = {"workstation-rtx5090", "l40s-server", "h100x8-node"}


def test_shipped_profiles_have_figures_and_sources():
    advisor = Advisor()
    assert set(advisor.profiles) == SHIPPED
    for profile in advisor.profiles.values():
        assert profile.capex_usd > 0 and profile.watts > 0 and profile.tokens_per_second > 0
        assert profile.source


@pytest.mark.parametrize(
    ("model", "model_class"),
    [
        ("gpt-4.1", "frontier"),
        ("gpt-4.1-mini", "local_capable"),
        ("ft:gpt-4.1-mini:acme:review:9xQ2", "local_capable"),
        ("ft:gpt-4.1:acme:big:1", "frontier"),
        ("claude-sonnet-4-5", "frontier"),
        ("claude-opus-4-1", "frontier"),
        ("claude-haiku-4-5", "local_capable"),
        ("Qwen/Qwen2.5-Coder-32B-Instruct", "local_capable"),
        ("mystery-model", None),
    ],
)
def test_model_classes(model, model_class):
    assert Advisor().classify_model(model) == model_class


def test_user_file_adds_profiles_and_rules_first(tmp_path):
    path = tmp_path / "golocal.toml"
    path.write_text(
        "[advisor]\n"
        'profile = "mine"\n'
        'electricity_usd_per_kwh = "0.30"\n'
        "[advisor.profiles.mine]\n"
        'label = "my box"\ngpus = 2\ncapex_usd = "12000"\nwatts = 900\n'
        "tokens_per_second = 1500\n"
        "[[advisor.model_classes]]\n"
        'pattern = "gpt-4.1"\nclass = "local_capable"\n'
    )
    advisor = load_settings(path).advisor
    assert set(advisor.profiles) == SHIPPED | {"mine"}
    assert advisor.profile == "mine"
    assert advisor.electricity_usd_per_kwh == Decimal("0.30")
    assert advisor.classify_model("gpt-4.1") == "local_capable"
    assert advisor.classify_model("gpt-5") == "frontier"  # shipped rules still apply


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("electricity_usd_per_kwh = -1", "advisor.electricity_usd_per_kwh"),
        ('profile = "nope"', "unknown profile 'nope'"),
        ("pue = 0.5", "advisor.pue"),
        ("target_utilisation = 1.5", "advisor.target_utilisation"),
        ("colour = 1", "advisor.colour: unknown setting"),
    ],
)
def test_bad_values_name_the_key(tmp_path, toml, message):
    path = tmp_path / "golocal.toml"
    path.write_text(f"[advisor]\n{toml}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_environment_overrides_the_price(monkeypatch):
    monkeypatch.setenv("GOLOCAL_ADVISOR__ELECTRICITY_USD_PER_KWH", "0.4")
    assert load_settings().advisor.electricity_usd_per_kwh == Decimal("0.4")
