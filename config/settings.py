"""golocal settings: a TOML file, overridden by the environment; secrets from the environment.

Precedence, highest first: environment variables (``GOLOCAL_*``, nested keys with ``__``,
e.g. ``GOLOCAL_THRESHOLDS__CLOUD_OK_BELOW=400``), then the TOML file named by ``--config``
or ``GOLOCAL_CONFIG``, then the shipped defaults below. Secrets (Slack tokens, admin keys)
are ``SecretStr`` and are only ever read from the environment: a secret found in the TOML
file is a configuration error, so a key never ends up in a file that gets committed.

This module imports nothing else of golocal's (DESIGN.md section 6).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from golocal.config.advisor import Advisor

CONFIG_ENV = "GOLOCAL_CONFIG"

#: Environment variables that hold secrets; never read from a file, never printed.
SECRET_ENV_VARS: dict[str, str] = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "openai_admin_key": "OPENAI_ADMIN_KEY",
    "anthropic_admin_key": "ANTHROPIC_ADMIN_KEY",
    "litellm_api_key": "LITELLM_API_KEY",
    "github_token": "GITHUB_TOKEN",
}


class ConfigError(Exception):
    """A configuration value is wrong; the message names the key and what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Section(BaseModel):
    """Base for TOML tables: unknown keys are errors, so a typo is caught, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(Section):
    """The decision framework's daily-volume thresholds (requests/day)."""

    cloud_ok_below: int = Field(500, gt=0)
    run_cost_model_above: int = Field(2000, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.run_cost_model_above <= self.cloud_ok_below:
            raise ValueError(
                "thresholds.run_cost_model_above must be greater than thresholds.cloud_ok_below"
            )
        return self


class Volume(Section):
    """How daily volume is measured."""

    window_days: int = Field(7, ge=1, le=366)
    min_days: int = Field(7, ge=1, le=366)
    #: Used to estimate a request count where a source reports tokens only (input + output).
    tokens_per_request: int = Field(2500, gt=0)


class Retention(Section):
    """How long telemetry is kept at each resolution; ``None`` keeps it forever."""

    minute_days: int = Field(14, ge=1)
    hourly_days: int = Field(400, ge=1)
    daily_days: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Retention:
        if self.hourly_days < self.minute_days:
            raise ValueError("retention.hourly_days must be at least retention.minute_days")
        if self.daily_days is not None and self.daily_days < self.hourly_days:
            raise ValueError("retention.daily_days must be at least retention.hourly_days")
        return self


class Slack(Section):
    """The Slack app: who may change declared answers, thresholds and budgets."""

    #: Slack user ids (``U…``/``W…``) allowed to change checklist answers and settings.
    admins: tuple[str, ...] = ()
    #: A Slack user group id (``S…``) whose members are admins too (needs usergroups:read).
    admin_usergroup: str | None = Field(None, pattern=r"^S[A-Z0-9]{2,}$")
    #: Seconds a re-delivered event id is remembered, so a retry is answered once.
    redelivery_window_s: int = Field(600, ge=10, le=86400)
    #: Worker processes that compute answers after the ack (0: threads of the bot's process).
    answer_workers: int = Field(2, ge=0, le=32)

    @field_validator("admins")
    @classmethod
    def _user_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for user in value:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user):
                raise ValueError(f"{user!r} is not a Slack user id (like U012AB3CD)")
        return value


class Settings(BaseSettings):
    """Everything golocal reads at start-up. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="GOLOCAL_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    #: SQLAlchemy URL; the default is an embedded SQLite file under the data directory.
    database_url: str | None = None
    data_dir: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "golocal"
        )
    )
    timezone: str = "UTC"
    log_level: str = "WARNING"

    thresholds: Thresholds = Thresholds()
    volume: Volume = Volume()
    retention: Retention = Retention()
    advisor: Advisor = Field(default_factory=Advisor)
    slack: Slack = Slack()

    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_base_url: str = "https://api.anthropic.com"
    github_api_url: str = "https://api.github.com"
    slack_api_url: str = "https://slack.com/api/"

    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    openai_admin_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_ADMIN_KEY")
    )
    anthropic_admin_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("ANTHROPIC_ADMIN_KEY")
    )
    litellm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("LITELLM_API_KEY")
    )
    github_token: SecretStr | None = Field(None, validation_alias=AliasChoices("GITHUB_TOKEN"))

    #: The TOML file these settings were read from, if any (set by load_settings).
    config_file: Path | None = None

    _toml_file: ClassVar[Path | None] = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'Europe/Berlin')"
            ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def effective_database_url(self) -> str:
        """The database URL to use: the configured one, else the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'golocal.db'}"

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone (validated at load)."""
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls._toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_file))
        return tuple(sources)


def load_settings(
    config_file: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read the settings from the TOML file (if any) and the environment.

    Args:
        config_file: the ``--config`` path; falls back to ``$GOLOCAL_CONFIG``.
        environ: the environment to read (tests); defaults to ``os.environ``. Only used to
            locate the config file; pydantic-settings itself reads ``os.environ``.

    Raises:
        ConfigError: one line naming the key and what is wrong with it.
    """
    env = os.environ if environ is None else environ
    path_text = str(config_file) if config_file else env.get(CONFIG_ENV)
    path = Path(path_text).expanduser() if path_text else None
    if path is not None:
        _check_toml(path)

    # A subclass per call carries the file path into settings_customise_sources without
    # global state, so two loads with different files never see each other's file.
    loaded = type("LoadedSettings", (Settings,), {"_toml_file": path})
    try:
        return loaded(config_file=path)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _check_toml(path: Path) -> None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config error: {path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"config error: {path}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config error: {path}: not valid TOML ({exc})") from None
    for field_name, env_name in SECRET_ENV_VARS.items():
        if field_name in data or env_name in data:
            raise ConfigError(
                f"config error: {field_name} must not be in the config file; "
                f"secrets are read only from the environment ({env_name})"
            )


def _describe(exc: ValidationError) -> str:
    """Turn pydantic's report into one line per problem, naming each key."""
    lines = []
    for error in exc.errors(include_url=False):
        key = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting"
        if key in SECRET_ENV_VARS:
            key = SECRET_ENV_VARS[key]
        lines.append(message if not key or message.startswith(key) else f"{key}: {message}")
    return "\n".join(f"config error: {line}" for line in lines)


def describe_value(value: Any) -> str:
    """Render a settings value for display, hiding secrets."""
    if isinstance(value, SecretStr):
        return "(set)"
    return str(value)
