"""The [schedule], [digest], [alerts] and [budget] settings, and the channel variables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from golocal.config.settings import ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings(None)
    assert settings.schedule.digest_day_of_week == "mon"
    assert (settings.schedule.digest_hour, settings.schedule.alerts_seconds) == (9, 60)
    assert settings.alerts.hysteresis == 0.10
    assert settings.alerts.saturation_window_minutes == 10
    assert settings.digest.channel is None and settings.budget.monthly_usd is None


def test_channels_from_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "golocal.toml"
    path.write_text(
        '[digest]\nchannel = "C-FILE"\n[alerts]\nchannel = "C-ALERT-FILE"\n'
        '[budget]\nmonthly_usd = "1500.50"\n[schedule]\ndigest_day_of_week = "Tuesday"\n'
    )
    settings = load_settings(path)
    assert settings.digest.channel == "C-FILE"
    assert settings.budget.monthly_usd == Decimal("1500.50")
    assert settings.schedule.digest_day_of_week == "tue"
    monkeypatch.setenv("GOLOCAL_DIGEST_CHANNEL", "C-ENV")
    monkeypatch.setenv("GOLOCAL_ALERTS_CHANNEL", "C-ALERT-ENV")
    settings = load_settings(path)
    assert (settings.digest.channel, settings.alerts.channel) == ("C-ENV", "C-ALERT-ENV")
    assert settings.digest.trend_weeks == 4  # the rest of the section is kept


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[schedule]\ndigest_day_of_week = "someday"\n', "schedule.digest_day_of_week"),
        ("[alerts]\nhysteresis = 1.5\n", "alerts.hysteresis"),
        ("[schedule]\ndigest_hour = 24\n", "schedule.digest_hour"),
        ("[alerts]\nchanel = 'C1'\n", "alerts.chanel: unknown setting"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "golocal.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)
