"""golocal settings: a TOML file, overridden by the environment; secrets from the environment.

Precedence, highest first: environment variables (``GOLOCAL_*``, nested keys with ``__``,
e.g. ``GOLOCAL_THRESHOLDS__CLOUD_OK_BELOW=400``), then the TOML file named by ``--config``
or ``GOLOCAL_CONFIG``, then the shipped defaults below. Secrets (Slack tokens, admin keys)
are ``SecretStr`` and are only ever read from the environment: a secret found in the TOML
file is a configuration error, so a key never ends up in a file that gets committed.

This module imports nothing else of golocal's (docs/ARCHITECTURE.md, "Folders").
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal
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

from golocal.config.addresses import check_http_url, parse_host_port
from golocal.config.advisor import Advisor
from golocal.errors import ConfigError

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
    #: hours of days older than this are packed into one row per GPU (server) and day
    pack_hours_after_days: int = Field(35, ge=2)
    daily_days: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Retention:
        if self.hourly_days < self.minute_days:
            raise ValueError("retention.hourly_days must be at least retention.minute_days")
        if self.pack_hours_after_days < self.minute_days:
            # an hour is re-rolled from its minutes while they exist: it must still be a row
            raise ValueError(
                "retention.pack_hours_after_days must be at least retention.minute_days"
            )
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
    #: Answer people of other organisations in Slack Connect channels (they see team spend).
    allow_external: bool = False

    @field_validator("admins")
    @classmethod
    def _user_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for user in value:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user):
                raise ValueError(f"{user!r} is not a Slack user id (like U012AB3CD)")
        return value


_SOURCE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"


class LocalSource(Section):
    """A named local telemetry source at an http(s) URL."""

    name: str = Field(pattern=_SOURCE_NAME)
    url: str

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return check_http_url(value).rstrip("/")


class InferenceServerSource(LocalSource):
    """A local inference server to scrape (``[[inference_servers]]``)."""

    kind: Literal["vllm", "llamacpp", "tgi", "sglang", "ollama"]
    #: The model it serves, where the server does not say (llama.cpp, TGI).
    model: str | None = None


class PrometheusSource(LocalSource):
    """A Prometheus server whose HTTP API holds dcgm-exporter series (``[[prometheus]]``)."""

    #: Resolution of ``query_range`` (seconds).
    step_seconds: int = Field(15, ge=1, le=3600)
    #: Hours of minute rows kept for this fleet's GPUs and vLLM instances (alerts and the
    #: rollup of recent hours need them); older minute detail stays in Prometheus, and the
    #: hourly and daily rollups are kept as ``[retention]`` says.
    minute_hours: int = Field(48, ge=3, le=24 * 3650)


class GpuAgentSource(LocalSource):
    """A dcgm-exporter or ``golocal agent`` scraped directly (``[[gpu_agents]]``).

    ``url`` is the metrics URL, e.g. ``http://node1:9400/metrics``.
    """


class Telemetry(Section):
    """How local telemetry is collected (``[telemetry]``)."""

    #: Per-request timeout, so one dead server never delays the others.
    timeout_seconds: float = Field(5.0, gt=0, le=120)
    concurrency: int = Field(8, ge=1, le=256)


class Agent(Section):
    """``golocal agent`` (``[agent]``)."""

    listen: str = "127.0.0.1:9835"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        parse_host_port(value, default_host="127.0.0.1")
        return value

    sample_seconds: float = Field(5.0, gt=0, le=3600)
    #: The ``host`` label; default: this machine's host name.
    host: str | None = None


class Collection(Section):
    """How the cloud collectors fetch: the re-collection window and the retry limits."""

    #: days before the cursor fetched again on every run (providers settle late)
    recollect_days: int = Field(2, ge=0, le=60)
    #: how far back the first run of a source reaches when no dates are given
    initial_days: int = Field(30, ge=1, le=366)
    #: attempts per request in total for 429/5xx/timeouts, the first one included
    max_attempts: int = Field(5, ge=1, le=20)
    #: the longest Retry-After honoured (seconds); longer asks are cut to this
    retry_after_cap_s: float = Field(120.0, ge=0)
    backoff_initial_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    timeout_s: float = Field(30.0, gt=0)
    #: pages followed in one window before a provider is taken to be paging for ever
    max_pages: int = Field(1000, ge=1, le=1_000_000)
    #: wall-clock seconds one source may take per run (requests and waits together)
    source_budget_s: float = Field(1800.0, gt=0, le=86400)
    #: the largest answer read from a provider or a local server, in MiB
    max_response_mb: float = Field(128.0, gt=0, le=4096)
    #: seconds this machine's clock may differ from a provider's before collecting stops
    max_clock_skew_s: float = Field(900.0, gt=0)


class LiteLLM(Section):
    """A LiteLLM proxy whose daily activity API golocal reads (key: ``LITELLM_API_KEY``)."""

    url: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value)


class Copilot(Section):
    """The GitHub organisation whose Copilot usage metrics golocal reads (``GITHUB_TOKEN``)."""

    org: str | None = None


class Schedule(Section):
    """When the scheduled jobs run (``[schedule]``); times are in ``settings.timezone``."""

    enabled: bool = True
    collect_minutes: int = Field(60, ge=1, le=1440)
    telemetry_seconds: int = Field(15, ge=1, le=3600)
    rollup_minutes: int = Field(60, ge=1, le=1440)
    alerts_seconds: int = Field(60, ge=5, le=3600)
    digest_day_of_week: str = "mon"
    digest_hour: int = Field(9, ge=0, le=23)
    digest_minute: int = Field(0, ge=0, le=59)
    #: A run that is late by up to this much still runs (once, coalesced).
    misfire_grace_seconds: int = Field(300, ge=1)
    #: A digest missed while the bot was down is posted on start if it is at most this late.
    digest_catch_up_hours: int = Field(24, ge=0, le=24 * 7)
    #: How often a replica tries to become the scheduler leader, and the leader checks it
    #: still is (PostgreSQL); a dead leader is replaced within this plus about a minute.
    leader_retry_seconds: float = Field(15, ge=0.5, le=60)

    @field_validator("digest_day_of_week")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}:
            raise ValueError("must be a weekday name such as 'mon'")
        return day


class Digest(Section):
    """The weekly digest (``[digest]``); ``GOLOCAL_DIGEST_CHANNEL`` sets the channel."""

    channel: str | None = None
    trend_weeks: int = Field(4, ge=1, le=52)


class Alerts(Section):
    """Alert rules and notification pacing (``[alerts]``); ``GOLOCAL_ALERTS_CHANNEL``."""

    channel: str | None = None
    #: A volume incident opens at the line and closes only below line * (1 - h).
    hysteresis: float = Field(0.10, ge=0, lt=1)
    #: Trailing days whose mean daily volume is compared with the lines.
    volume_days: int = Field(3, ge=1, le=60)
    #: Days of data needed before the volume rule says anything.
    volume_min_days: int = Field(3, ge=1, le=60)
    saturation_window_minutes: int = Field(10, ge=1, le=24 * 60)
    util_percent: float = Field(90, gt=0, le=100)
    memory_percent: float = Field(90, gt=0, le=100)
    kv_cache_percent: float = Field(90, gt=0, le=100)
    temperature_c: float = Field(85, gt=0)
    #: Throttled seconds within the saturation window that make a throttling incident.
    throttle_seconds: float = Field(60, gt=0)
    #: A source without a success for this long is stale.
    stale_minutes: int = Field(180, ge=1)
    #: Consecutive failed collections that make a source failing.
    failing_after: int = Field(3, ge=1)
    group_wait_seconds: int = Field(30, ge=0)
    repeat_hours: float = Field(4, gt=0)
    #: Thread updates of a firing incident at most this often.
    update_minutes: int = Field(15, ge=1)
    messages_per_second: float = Field(1.0, gt=0, le=10)
    #: An Alertmanager that also receives every incident (``POST /api/v2/alerts``).
    alertmanager_url: str | None = None

    @field_validator("alertmanager_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL, e.g. http://alertmanager:9093")
        return value.rstrip("/") if value else value


class Metrics(Section):
    """golocal's own ``/metrics``, ``/healthz`` and ``/readyz`` (``[metrics]``)."""

    #: ``HOST:PORT`` for ``golocal run`` to serve them on; unset: not served.
    listen: str | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            parse_host_port(value, default_host="127.0.0.1")
        return value


class DatabaseLimits(Section):
    """How long a chat answer may wait on the database (``[database]``)."""

    #: Seconds a chat answer (console, ``golocal ask``, Slack) may wait on PostgreSQL before
    #: the bot replies "the database did not answer" and moves on to the next question.
    answer_timeout_s: float = Field(30.0, gt=0, le=3600)


class Budget(Section):
    """The monthly cloud budget (``[budget]``); unset means no budget alert or burn line."""

    monthly_usd: Decimal | None = Field(None, gt=0)


class BudgetRule(Section):
    """A monthly budget of one team or one provider (``[[budgets]]``)."""

    team: str | None = Field(None, min_length=1, max_length=100)
    provider: str | None = Field(None, min_length=1, max_length=100)
    monthly_usd: Decimal = Field(gt=0)
    #: warn once spend reaches this share of the budget
    warn_percent: Decimal = Field(Decimal(80), gt=0, le=100)

    @model_validator(mode="after")
    def _one_scope(self) -> BudgetRule:
        if (self.team is None) == (self.provider is None):
            raise ValueError("a [[budgets]] entry names exactly one of team or provider")
        return self

    @property
    def scope(self) -> str:
        return f"team:{self.team}" if self.team is not None else f"provider:{self.provider}"


class Anomaly(Section):
    """Spend anomaly alerts (``[anomaly]``): a day far above its trailing median."""

    enabled: bool = True
    #: a day's spend above this multiple of the trailing median is an anomaly
    factor: Decimal = Field(Decimal(3), gt=1, le=1000)
    trailing_days: int = Field(28, ge=7, le=366)
    #: below this a day is never an anomaly, so small teams don't page
    min_usd: Decimal = Field(Decimal(50), ge=0)


class Reconcile(Section):
    """Reconciliation of billed against usage-priced money (``[reconcile]``)."""

    #: a provider-day whose estimate is further than this from the bill is flagged
    tolerance_pct: Decimal = Field(Decimal(5), ge=0, le=1000)


#: Environment variables that set a section's channel without the ``__`` nesting.
CHANNEL_ENV_VARS: dict[str, str] = {
    "digest": "GOLOCAL_DIGEST_CHANNEL",
    "alerts": "GOLOCAL_ALERTS_CHANNEL",
}


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
    telemetry: Telemetry = Telemetry()
    agent: Agent = Agent()
    inference_servers: tuple[InferenceServerSource, ...] = ()
    prometheus: tuple[PrometheusSource, ...] = ()
    gpu_agents: tuple[GpuAgentSource, ...] = ()
    collection: Collection = Collection()
    litellm: LiteLLM = LiteLLM()
    copilot: Copilot = Copilot()
    advisor: Advisor = Field(default_factory=Advisor)
    slack: Slack = Slack()
    schedule: Schedule = Schedule()
    digest: Digest = Digest()
    alerts: Alerts = Alerts()
    budget: Budget = Budget()
    reconcile: Reconcile = Reconcile()
    budgets: tuple[BudgetRule, ...] = ()
    anomaly: Anomaly = Anomaly()
    metrics: Metrics = Metrics()
    database: DatabaseLimits = DatabaseLimits()

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

    @model_validator(mode="after")
    def _unique_local_sources(self) -> Settings:
        seen: set[str] = set()
        for source in (*self.inference_servers, *self.prometheus, *self.gpu_agents):
            if source.name in seen:
                raise ValueError(f"local source name {source.name!r} is used twice")
            seen.add(source.name)
        return self

    @model_validator(mode="before")
    @classmethod
    def _channel_variables(cls, data: Any) -> Any:
        """``GOLOCAL_DIGEST_CHANNEL``/``GOLOCAL_ALERTS_CHANNEL`` win over the TOML file."""
        if not isinstance(data, dict):
            return data
        for section, env_name in CHANNEL_ENV_VARS.items():
            channel = os.environ.get(env_name)
            if not channel:
                continue
            current = data.get(section) or {}
            if isinstance(current, BaseModel):
                current = current.model_dump()
            data = {**data, section: {**current, "channel": channel}}
        return data

    @field_validator("openai_base_url", "anthropic_base_url", "github_api_url", "slack_api_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_http_url(value)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.split("://", 1)[0].split("+", 1)[0].lower() if "://" in value else ""
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(
                "must be a sqlite:///PATH or postgresql://user:password@host:5432/db URL "
                f"(got scheme {scheme or 'none'!r}); golocal supports SQLite and PostgreSQL"
            )
        return value

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
    _check_environment(env)
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


#: ``GOLOCAL_*`` variables that are not settings but are read elsewhere. ``GOLOCAL_TEST_*``
#: is reserved for golocal's own test suite.
OTHER_ENV_VARS = frozenset({CONFIG_ENV, "GOLOCAL_DEBUG", *CHANNEL_ENV_VARS.values()})
_ENV_PREFIX = "GOLOCAL_"


def _check_environment(env: Mapping[str, str]) -> None:
    """Unknown ``GOLOCAL_*`` variables are errors, like unknown keys in the file.

    pydantic-settings silently ignores a variable whose section is misspelt
    (``GOLOCAL_THRESHOLD__CLOUD_OK_BELOW``); a setting that never applies is worse than one
    that stops golocal with its name.
    """
    problems = []
    for name in sorted(env):
        upper = name.upper()
        if not upper.startswith(_ENV_PREFIX) or upper in OTHER_ENV_VARS:
            continue
        if upper.startswith("GOLOCAL_TEST_"):
            continue
        path = upper.removeprefix(_ENV_PREFIX).lower().split("__")
        problem = _unknown_path(Settings, path)
        if problem:
            problems.append(f"config error: unknown environment variable {name}: {problem}")
    if problems:
        raise ConfigError("\n".join(problems))


def _unknown_path(model: type[BaseModel], path: list[str]) -> str | None:
    """Why ``path`` names no setting of ``model`` (``None`` when it does)."""
    fields = {
        name: info
        for name, info in model.model_fields.items()
        if name not in SECRET_ENV_VARS and name != "config_file"
    }
    head, rest = path[0], path[1:]
    if head not in fields:
        close = difflib.get_close_matches(head, list(fields), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"no setting {head!r}{hint}"
    if not rest:
        return None
    annotation = fields[head].annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        inner = _unknown_path(annotation, rest)
        return None if inner is None else f"in {head}: {inner}"
    return f"{head} has no keys (set it as a whole)"


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
    _refuse_secrets(data, ())


def _refuse_secrets(table: dict[str, Any], where: tuple[str, ...]) -> None:
    """A secret's name as a key anywhere in the file, in any case, is refused."""
    names = {name: env for field, env in SECRET_ENV_VARS.items() for name in (field, env.lower())}
    for key, value in table.items():
        env_name = names.get(key.lower().replace("-", "_"))
        if env_name is not None:
            shown = ".".join((*where, key))
            raise ConfigError(
                f"config error: {shown} must not be in the config file; "
                f"secrets are read only from the environment ({env_name})"
            )
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                _refuse_secrets(item, (*where, key))


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
