"""Alert rules driven by a fake clock: crossings, hysteresis, sustained windows, no repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from golocal.bot.alert_notify import notify_alerts
from golocal.bot.posting import Attachment, Message
from golocal.bot.publish import run_alerts
from golocal.bot.services import Services
from golocal.config.settings import Budget, Settings, load_settings
from golocal.db.alerts import firing_incidents, recent_incidents
from golocal.db.database import Database
from golocal.db.models import GpuMinute, UsageBucket
from golocal.db.sources import record_failure, record_success
from golocal.db.telemetry import insert_rows, register_gpu
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.alerts import check_alerts

START = datetime(2026, 3, 2, tzinfo=UTC)


class RecordingPoster:
    """A poster that remembers every message (channel, text, thread)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, str | None]] = []
        self.updates: list[tuple[str, str]] = []

    def post(self, message: Message) -> str:
        self.posts.append((message.channel, message.text, message.thread_ts))
        return f"ts.{len(self.posts)}"

    def update(self, ts: str, message: Message) -> None:
        self.updates.append((ts, message.text))

    def upload(self, attachment: Attachment) -> None:
        pass


def _settings(**sections: Any) -> Settings:
    base = load_settings(None)
    alerts = base.alerts.model_copy(update={"channel": "C-ALERTS", **sections.pop("alerts", {})})
    return base.model_copy(update={"alerts": alerts, **sections})


def _usage(database: Database, day: datetime, requests: int, **extra: Any) -> None:
    row = {
        "source": "openai",
        "bucket_start": day,
        "bucket_seconds": 86400,
        "location": "cloud",
        "provider": "openai",
        "model": "gpt-4.1",
        "requests": requests,
        "cost_usd": Decimal("1.5"),
        **extra,
    }
    upsert_usage_buckets(database, [row])


def _volume_series(database: Database, values: list[int]) -> None:
    for offset, value in enumerate(values):
        _usage(database, START + timedelta(days=offset), value)


def _check_each_day(database: Database, settings: Settings, days: int) -> list[int]:
    """Evaluate once per day (just after midnight); returns the open-incident count each day."""
    counts = []
    for offset in range(1, days + 1):
        now = START + timedelta(days=offset, minutes=5)
        check_alerts(database, settings, now)
        counts.append(len(firing_incidents(database, "volume")))
    return counts


def test_volume_crossing_up_then_down_is_one_incident_each_way(database: Database) -> None:
    settings = _settings(alerts={"volume_days": 1, "volume_min_days": 1})
    _volume_series(database, [300, 400, 620, 640, 600, 380, 300])
    counts = _check_each_day(database, settings, 7)
    assert counts == [0, 0, 1, 1, 1, 0, 0]
    history = recent_incidents(database, since=START)
    assert [(i.rule, i.key, i.state) for i in history] == [("volume", "500", "resolved")]
    assert history[0].resolved_at == START + timedelta(days=6, minutes=5)


def test_volume_hovering_at_the_line_is_one_incident(database: Database) -> None:
    settings = _settings(alerts={"volume_days": 1, "volume_min_days": 1})
    hovering = [505, 470, 510, 480, 520, 460, 495, 515, 470, 500]
    _volume_series(database, hovering)
    _check_each_day(database, settings, len(hovering))
    history = recent_incidents(database, since=START)
    assert len(history) == 1
    assert history[0].firing  # never fell below 450 (10% hysteresis)


def test_volume_needs_the_minimum_days(database: Database) -> None:
    settings = _settings(alerts={"volume_days": 3, "volume_min_days": 3})
    _volume_series(database, [900, 900])
    result = check_alerts(database, settings, START + timedelta(days=2, minutes=1))
    assert result.firing == []
    assert "volume: 2 of 3 days of data needed" in result.notes


def _gpu(database: Database) -> int:
    return register_gpu(
        database,
        source="agent:node1",
        host="node1",
        gpu_index=0,
        uuid="GPU-1",
        name="NVIDIA L40S",
        memory_total_mib=46068,
        power_limit_w=350,
        seen_at=START,
    )


def _minutes(
    database: Database,
    gpu_id: int,
    start: datetime,
    utils: list[float],
    *,
    throttled_s: list[float] | None = None,
) -> None:
    insert_rows(
        database,
        GpuMinute,
        [
            {
                "gpu_id": gpu_id,
                "minute": start + timedelta(minutes=i),
                "samples": 4,
                "util_mean": util,
                "mem_used_mean_mib": 20000.0,
                "temp_max_c": 60.0,
                "throttled_s": throttled_s[i] if throttled_s else 0.0,
            }
            for i, util in enumerate(utils)
        ],
    )


def _run_minutes(services_for: Any, minutes: int) -> None:
    for minute in range(minutes):
        services, poster = services_for(START + timedelta(minutes=minute, seconds=30))
        run_alerts(services, poster)


def _driver(database: Database, settings: Settings, poster: RecordingPoster) -> Any:
    def services_for(now: datetime) -> tuple[Services, RecordingPoster]:
        return Services(settings, database, clock=lambda: now), poster

    return services_for


def test_a_five_minute_spike_is_not_an_incident(database: Database) -> None:
    settings = _settings()
    gpu = _gpu(database)
    _minutes(database, gpu, START, [40] * 20 + [98] * 5 + [40] * 20)
    poster = RecordingPoster()
    _run_minutes(_driver(database, settings, poster), 46)
    assert recent_incidents(database, since=START) == []
    assert poster.posts == []


def test_fifteen_minutes_saturated_is_one_incident_then_resolved(database: Database) -> None:
    settings = _settings()
    gpu = _gpu(database)
    _minutes(database, gpu, START, [40] * 20 + [98] * 15 + [40] * 20)
    poster = RecordingPoster()
    _run_minutes(_driver(database, settings, poster), 56)
    history = recent_incidents(database, since=START)
    assert [(i.rule, i.state) for i in history] == [("gpu_saturation", "resolved")]
    texts = [text for _, text, _ in poster.posts]
    assert len(texts) == 2
    assert texts[0].startswith("[WARNING] gpu_saturation")
    assert texts[1].startswith("Resolved after")
    # the resolution goes into the first message's thread
    assert poster.posts[1][2] == "ts.1"


def test_restart_mid_incident_posts_no_duplicate(database: Database) -> None:
    settings = _settings()
    gpu = _gpu(database)
    _minutes(database, gpu, START, [98] * 40)
    first = RecordingPoster()
    _run_minutes(_driver(database, settings, first), 15)
    assert len(first.posts) == 1
    # a new process (new poster, same database) carries on with the open incident
    second = RecordingPoster()
    driver = _driver(database, settings, second)
    for minute in range(15, 40):
        services, poster = driver(START + timedelta(minutes=minute, seconds=30))
        run_alerts(services, poster)
    assert second.posts == []
    assert len(firing_incidents(database)) == 1


def test_group_wait_then_reminder_after_repeat_hours(database: Database) -> None:
    settings = _settings()
    record_failure(database, "openai", "HTTP 401: invalid admin key", at=START)
    for _ in range(2):
        record_failure(database, "openai", "HTTP 401: invalid admin key", at=START)
    poster = RecordingPoster()
    driver = _driver(database, settings, poster)
    services, _ = driver(START)
    run_alerts(services, poster)
    assert poster.posts == []  # group wait: not in the first 30 s
    services, _ = driver(START + timedelta(seconds=31))
    run_alerts(services, poster)
    assert len(poster.posts) == 1 and "source_failing" in poster.posts[0][1]
    for minutes in (60, 120, 239):
        services, _ = driver(START + timedelta(minutes=minutes))
        run_alerts(services, poster)
    assert len(poster.posts) == 1
    services, _ = driver(START + timedelta(hours=4, minutes=1))
    run_alerts(services, poster)
    assert len(poster.posts) == 2
    assert poster.posts[1][1].startswith("Still firing") and poster.posts[1][2] == "ts.1"


def test_throttling_over_the_window_is_an_incident(database: Database) -> None:
    settings = _settings()  # 60 throttled seconds within the 10-minute window
    gpu = _gpu(database)
    _minutes(database, gpu, START, [40] * 40, throttled_s=[5.0] * 20 + [10.0] * 20)
    light = check_alerts(database, settings, START + timedelta(minutes=19, seconds=30))
    assert light.firing == []  # about 50 s in the window
    heavy = check_alerts(database, settings, START + timedelta(minutes=39, seconds=30))
    assert [(i.rule, i.key) for i in heavy.firing] == [("gpu_throttling", str(gpu))]


def test_a_source_without_success_for_stale_minutes_is_stale(database: Database) -> None:
    settings = _settings()  # stale after 180 minutes
    record_success(database, "openai", at=START)
    assert check_alerts(database, settings, START + timedelta(minutes=179)).firing == []
    later = check_alerts(database, settings, START + timedelta(minutes=181))
    assert [(i.rule, i.key) for i in later.firing] == [("source_stale", "openai")]
    record_success(database, "openai", at=START + timedelta(minutes=182))
    recovered = check_alerts(database, settings, START + timedelta(minutes=183))
    assert [(i.rule, i.state) for i in recovered.resolved] == [("source_stale", "resolved")]


def test_budget_forecast_over_the_budget(database: Database) -> None:
    settings = _settings(budget=Budget(monthly_usd=Decimal("100")))
    _usage(database, START, 100, cost_usd=Decimal("40"))
    # two days into March: too early to trust a forecast
    assert check_alerts(database, settings, datetime(2026, 3, 3, tzinfo=UTC)).firing == []
    # five days in: $40 so far is on course for $248 in 31 days
    result = check_alerts(database, settings, datetime(2026, 3, 6, tzinfo=UTC))
    [incident] = result.firing
    assert (incident.rule, incident.key) == ("budget", "2026-03:forecast")
    assert "$248" in incident.summary


def test_budget_and_unpriced_usage(database: Database) -> None:
    settings = _settings(budget=Budget(monthly_usd=Decimal("100")))
    _usage(database, START, 100, cost_usd=Decimal("120.25"))
    _usage(
        database,
        START + timedelta(days=1),
        None,
        model="brand-new-model",
        input_tokens=5000,
        output_tokens=100,
        cost_usd=None,
    )
    result = check_alerts(database, settings, START + timedelta(days=2))
    found = {(i.rule, i.key) for i in result.firing}
    assert ("budget", "2026-03:spent") in found
    assert ("unpriced_usage", "openai/brand-new-model") in found
    # no cost shown as zero: the unpriced bucket is NULL in storage
    with database.session() as session:
        costs = [row.cost_usd for row in session.query(UsageBucket).order_by(UsageBucket.id)]
    assert costs == [Decimal("120.25"), None]


def test_notifications_claimed_once_across_two_evaluators(database: Database) -> None:
    settings = _settings()
    for _ in range(3):
        record_failure(database, "anthropic", "HTTP 403", at=START)
    now = START + timedelta(minutes=1)
    check_alerts(database, settings, START)
    one, two = RecordingPoster(), RecordingPoster()
    notify_alerts(Services(settings, database, clock=lambda: now), one)
    notify_alerts(Services(settings, database, clock=lambda: now), two)
    assert len(one.posts) + len(two.posts) == 1


def test_changing_figures_do_not_make_thread_updates(database: Database) -> None:
    settings = _settings()
    gpu = _gpu(database)
    insert_rows(
        database,
        GpuMinute,
        [
            {
                "gpu_id": gpu,
                "minute": START + timedelta(minutes=i),
                "samples": 4,
                "util_mean": 50.0,
                "mem_used_mean_mib": 20000.0,
                "temp_max_c": 86.0 + i % 5,  # a different temperature every minute
                "throttled_s": 0.0,
            }
            for i in range(90)
        ],
    )
    poster = RecordingPoster()
    _run_minutes(_driver(database, settings, poster), 90)
    (incident,) = firing_incidents(database)
    assert incident.rule == "gpu_temperature"
    assert len(poster.posts) == 1  # the opening message only: no update per new reading


def test_server_queue_with_full_kv_cache_and_a_lost_gpu(database: Database) -> None:
    from golocal.db.models import Gpu, ServerMinute
    from golocal.db.telemetry import register_server

    settings = _settings()
    server = register_server(
        database,
        name="vllm-coder",
        kind="vllm",
        url="http://gpu1:8000",
        model="qwen",
        seen_at=START,
    )
    insert_rows(
        database,
        ServerMinute,
        [
            {
                "server_id": server,
                "minute": START + timedelta(minutes=i),
                "samples": 4,
                "waiting_max": 3.0 if i >= 5 else 0.0,
                "kv_cache_mean": 0.95,
            }
            for i in range(20)
        ],
    )
    gpu = _gpu(database)
    with database.session() as session:
        session.get(Gpu, gpu).lost = True
    early = check_alerts(database, settings, START + timedelta(minutes=12))
    assert {(i.rule, i.key) for i in early.firing} == {("gpu_lost", str(gpu))}
    later = check_alerts(database, settings, START + timedelta(minutes=16))
    assert {(i.rule, i.key) for i in later.firing} == {
        ("gpu_lost", str(gpu)),
        ("server_saturation", "vllm-coder"),
    }
