"""Settings: defaults, TOML file, environment overrides, and one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from golocal.config.settings import ConfigError, load_settings
from tests.cli_runner import run_golocal


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_defaults_are_the_frameworks_thresholds():
    settings = load_settings()
    assert settings.thresholds.cloud_ok_below == 500
    assert settings.thresholds.run_cost_model_above == 2000
    assert settings.retention.minute_days == 14
    assert settings.timezone == "UTC"
    assert settings.effective_database_url.startswith("sqlite:///")


def test_toml_file_is_read_and_environment_overrides_it(tmp_path, monkeypatch):
    config = write(
        tmp_path / "golocal.toml",
        'timezone = "Europe/Berlin"\n[thresholds]\ncloud_ok_below = 400\n'
        "run_cost_model_above = 1500\n",
    )
    settings = load_settings(config)
    assert settings.timezone == "Europe/Berlin"
    assert settings.thresholds.cloud_ok_below == 400

    monkeypatch.setenv("GOLOCAL_THRESHOLDS__CLOUD_OK_BELOW", "450")
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", "sqlite:////tmp/other.db")
    settings = load_settings(config)
    assert settings.thresholds.cloud_ok_below == 450
    assert settings.thresholds.run_cost_model_above == 1500
    assert settings.effective_database_url == "sqlite:////tmp/other.db"


def test_config_file_from_environment_variable(tmp_path, monkeypatch):
    config = write(tmp_path / "c.toml", "[volume]\nwindow_days = 14\n")
    monkeypatch.setenv("GOLOCAL_CONFIG", str(config))
    assert load_settings().volume.window_days == 14


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[thresholds]\ncloud_ok_below = 3000\n",
            "config error: thresholds.run_cost_model_above must be greater than "
            "thresholds.cloud_ok_below",
        ),
        ("[thresholds]\ncloud_ok_below = -5\n", "config error: thresholds.cloud_ok_below:"),
        ('[thresholds]\ncloud_ok_below = "many"\n', "config error: thresholds.cloud_ok_below:"),
        ('timezone = "Mars/Olympus"\n', "config error: timezone: unknown time zone 'Mars/Olympus'"),
        (
            "[thresholds]\ncloud_ok_bellow = 5\n",
            "config error: thresholds.cloud_ok_bellow: unknown",
        ),
        ("[retention]\nminute_days = 30\nhourly_days = 7\n", "config error: retention.hourly_days"),
        (
            "[retention]\nminute_days = 20\npack_hours_after_days = 10\n",
            "config error: retention.pack_hours_after_days must be at least",
        ),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path, toml, message):
    config = write(tmp_path / "bad.toml", toml)
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert raised.value.message.startswith(message) or message in raised.value.message


def test_a_bad_environment_value_names_the_key(monkeypatch):
    monkeypatch.setenv("GOLOCAL_VOLUME__WINDOW_DAYS", "seven")
    with pytest.raises(ConfigError, match=r"^config error: volume\.window_days:"):
        load_settings()


def test_secrets_come_only_from_the_environment(tmp_path, monkeypatch):
    config = write(tmp_path / "secret.toml", 'openai_admin_key = "sk-admin-in-a-file"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert "OPENAI_ADMIN_KEY" in raised.value.message
    assert "sk-admin-in-a-file" not in raised.value.message

    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-from-env")
    settings = load_settings()
    assert settings.openai_admin_key is not None
    assert settings.openai_admin_key.get_secret_value() == "sk-admin-from-env"
    assert "sk-admin-from-env" not in repr(settings)
    assert "sk-admin-from-env" not in str(settings.model_dump())


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "nope.toml")


def test_cli_prints_one_line_and_exits_2_on_a_bad_value(tmp_path, capsys):
    config = write(tmp_path / "bad.toml", "[thresholds]\nrun_cost_model_above = 100\n")
    result = run_golocal(capsys, "--config", str(config), "report", "volume")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "config error: thresholds.run_cost_model_above must be greater than "
        "thresholds.cloud_ok_below"
    )
    assert "Traceback" not in result.stderr
