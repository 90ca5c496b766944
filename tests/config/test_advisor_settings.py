"""The [advisor] settings: shipped profiles, overrides, and errors that name the key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from golocal.config.advisor import Advisor
from golocal.config.settings import ConfigError, load_settings

SHIPPED = {"workstation-rtx5090", "l40s-server", "h100x8-node"}


def test_shipped_profiles_are_catalogue_gpus_plus_host_costs():
    advisor = Advisor()
    assert set(advisor.profiles) == SHIPPED
    for profile in advisor.profiles.values():
        assert profile.gpu in advisor.gpus and profile.source
        gpu = advisor.gpus[profile.gpu]
        host = advisor.hosts[gpu.host]
        assert profile.capex_usd == gpu.price_usd * profile.gpus + host.capex_usd * profile.hosts
        assert profile.watts == gpu.board_watts * profile.gpus + host.watts * profile.hosts
    # 8 × H100 SXM at $30,000 + one HGX node at $60,000; 8 × 700 W + 4,600 W (DGX: 10.2 kW)
    node = advisor.profiles["h100x8-node"]
    assert (node.capex_usd, node.watts, node.hosts) == (Decimal("300000"), 10200, 1)


REQUIRED_GPUS = {
    "rtx-4090",
    "rtx-5090",
    "rtx-6000-ada",
    "l4",
    "l40s",
    "a100-80gb",
    "h100-pcie",
    "h100-sxm",
    "h200",
    "mi300x",
    "mac-studio-m2-ultra",
}
REQUIRED_MODELS = {
    "qwen2.5-coder-7b",
    "qwen2.5-coder-14b",
    "qwen2.5-coder-32b",
    "qwen3-coder-30b-a3b",
    "deepseek-coder-v2-lite",
    "codestral-22b",
    "gpt-oss-20b",
    "llama-3.1-8b",
    "llama-3.3-70b",
}


def test_catalogues_ship_every_required_entry_with_its_source():
    advisor = Advisor()
    assert set(advisor.gpus) >= REQUIRED_GPUS
    assert set(advisor.models) >= REQUIRED_MODELS
    for gpu in advisor.gpus.values():
        assert gpu.memory_gib > 0 and gpu.bandwidth_gb_s > 0 and gpu.board_watts > 0
        assert gpu.price_usd > 0 and gpu.source
        # every GPU has an hourly rental price, or its source says why there is none
        assert gpu.rental_usd_per_hour is not None or "no hourly rental" in gpu.source
    for model in advisor.models.values():
        assert model.source.startswith("https://huggingface.co/")
    assert {"FP16", "FP8", "Q8_0", "Q5_K_M", "Q4_K_M"} <= set(advisor.quants)


def test_user_file_adds_a_gpu_and_a_profile_built_from_it(tmp_path):
    path = tmp_path / "golocal.toml"
    path.write_text(
        "[advisor]\n"
        'profile = "ours"\n'
        "[advisor.gpus.rtx-pro-6000]\n"
        'label = "RTX PRO 6000 96 GB"\nmemory_gib = 96\nbandwidth_gb_s = 1792\n'
        'board_watts = 600\nbf16_tflops = 250\nprice_usd = "8500"\nhost = "workstation"\n'
        'source = "our invoice"\n'
        "[advisor.profiles.ours]\n"
        'gpu = "rtx-pro-6000"\ngpus = 2\n'
    )
    advisor = load_settings(path).advisor
    assert set(advisor.gpus) >= REQUIRED_GPUS  # the shipped ones stay
    ours = advisor.profiles["ours"]
    assert ours.capex_usd == Decimal("20000") and ours.watts == 1450  # 2 × 8,500 + 3,000 host


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
        ('model = "gpt-9"', "unknown model 'gpt-9'"),
        ('quant = "Q3"', "unknown quantisation 'Q3'"),
        ('[advisor.profiles.x]\ngpu = "rtx-9090"\ngpus = 1', "unknown GPU 'rtx-9090'"),
        ("[advisor.profiles.x]\ngpus = 1", "name a catalogue gpu, or give capex_usd and watts"),
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
