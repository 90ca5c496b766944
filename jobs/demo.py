"""Synthetic, clearly labelled demo data: ``golocal demo``.

Every source it writes is named ``demo:…`` (usage buckets, GPUs, inference servers), so it
never mixes with real data and ``golocal demo --clear`` removes exactly it. The data looks
like a real team's: weekdays busier than weekends, office-hours peaks, slow growth, two
cloud providers with several models and projects (Anthropic without request counts, as its
usage report really is), a fine-tuned model, local inference on GPUs with one saturation
episode — and GPU telemetry shaped by the retention defaults: minute rows only for the last
``retention.minute_days``, hourly and daily rollups before that.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from golocal.db.bulk import insert_columns
from golocal.db.database import Database
from golocal.db.hour_archive import pack_hour_columns
from golocal.db.latency import PACK_AFTER_DAYS, pack_bucket_columns
from golocal.db.models import (
    DEMO_PREFIX,
    GpuHourArchive,
    GpuMinute,
    GpuRollup,
    ServerHourArchive,
    ServerLatencyBucket,
    ServerLatencyDay,
    ServerMinute,
    ServerRollup,
)
from golocal.db.rollups import GPU, SERVER, floor_day, rollup_weeks_and_months
from golocal.db.telemetry import delete_telemetry_sources, register_gpu, register_server
from golocal.db.usage import delete_usage_sources, upsert_usage_buckets
from golocal.jobs.demo_latency import latency_columns
from golocal.jobs.demo_telemetry import LOCAL_TOKENS, Fleet, telemetry_day


@dataclass(frozen=True)
class Hardware:
    """A demo GPU node layout."""

    hosts: int
    gpus_per_host: int
    gpu_name: str
    memory_mib: int
    idle_w: float
    max_w: float


@dataclass(frozen=True)
class DemoProfile:
    """Volumes (weekday requests/day at the end of the span) and hardware of a demo team."""

    cloud_per_day: int
    local_per_day: int
    hardware: Hardware


PROFILES: dict[str, DemoProfile] = {
    "small": DemoProfile(260, 110, Hardware(1, 1, "NVIDIA GeForce RTX 4090", 24564, 22, 450)),
    "team": DemoProfile(1150, 520, Hardware(1, 4, "NVIDIA L40S", 46068, 35, 350)),
    "fleet": DemoProfile(4200, 6800, Hardware(8, 8, "NVIDIA H100 80GB HBM3", 81559, 70, 700)),
}

# (provider, model, project, share of cloud requests, input tokens/req, output tokens/req,
#  $ per million input, $ per million output) — plausible list prices, demo only.
CLOUD_MIX: tuple[tuple[str, str, str, float, int, int, str, str], ...] = (
    ("openai", "gpt-4.1", "proj_payments", 0.18, 2600, 420, "2.00", "8.00"),
    ("openai", "gpt-4.1-mini", "proj_web", 0.22, 1900, 300, "0.40", "1.60"),
    ("openai", "gpt-4.1-mini", "proj_payments", 0.08, 1700, 260, "0.40", "1.60"),
    ("openai", "ft:gpt-4.1-mini:acme:review:9xQ2", "proj_ml", 0.05, 1400, 220, "0.80", "3.20"),
    ("anthropic", "claude-sonnet-4-5", "wrkspc_platform", 0.32, 3100, 520, "3.00", "15.00"),
    ("anthropic", "claude-haiku-4-5", "wrkspc_platform", 0.15, 1500, 240, "1.00", "5.00"),
)
WEEKDAY_FACTOR = (1.0, 1.05, 1.02, 0.98, 0.85, 0.28, 0.2)  # Monday first
MINUTES_PER_DAY = 1440
FLUSH_ROWS = 250_000  # telemetry rows generated before they are written in one go


@dataclass(frozen=True)
class DemoOptions:
    """What ``golocal demo`` was asked for."""

    days: int = 30
    profile: str = "team"
    minute_days: int = 14
    #: hours of older days are left packed, as the retention job leaves them
    pack_hours_after_days: int = 35
    seed: int = 2026


@dataclass(frozen=True)
class DemoSummary:
    """What was written."""

    profile: str
    since: date
    until: date
    usage_rows: int
    gpus: int
    gpu_minute_rows: int
    gpu_rollup_rows: int
    server_minute_rows: int
    server_rollup_rows: int

    def describe(self) -> str:
        return (
            f"Loaded demo data ({self.profile} profile, {self.since} to {self.until}): "
            f"{self.usage_rows:,} usage buckets, {self.gpus} GPUs with "
            f"{self.gpu_minute_rows:,} minute and {self.gpu_rollup_rows:,} rollup rows, "
            f"{self.server_minute_rows + self.server_rollup_rows:,} inference-server rows. "
            "Sources are named demo:… — `golocal demo --clear` removes them."
        )


def clear_demo(database: Database) -> int:
    """Remove every demo row; returns the number of rows deleted."""
    return delete_usage_sources(database, prefix=DEMO_PREFIX) + delete_telemetry_sources(
        database, prefix=DEMO_PREFIX
    )


def _diurnal(hour: int) -> float:
    """Share of a day's requests in each UTC hour: office hours, a lunch dip, quiet nights."""
    return (
        0.15 + math.exp(-(((hour - 10.5) / 2.6) ** 2)) + 0.9 * math.exp(-(((hour - 15) / 2.4) ** 2))
    )


_DIURNAL_TOTAL = sum(_diurnal(h) for h in range(24))


class _Generator:
    """Generates one profile's data day by day (bounded memory, progress per day)."""

    def __init__(self, database: Database, options: DemoOptions, now: datetime) -> None:
        self.database = database
        self.options = options
        self.profile = PROFILES[options.profile]
        self.random = random.Random(f"{options.seed}:{options.profile}")
        self.rng = np.random.default_rng(self.random.getrandbits(64))
        self.now = now.replace(minute=0, second=0, microsecond=0)
        self.first_day = self.now.date() - timedelta(days=options.days)
        self.minute_cutoff = self.now - timedelta(days=options.minute_days)
        today = datetime(self.now.year, self.now.month, self.now.day, tzinfo=UTC)
        self.pack_before = floor_day(self.now - timedelta(days=options.pack_hours_after_days))
        self.latency_before = today - timedelta(days=PACK_AFTER_DAYS - 1)
        self.gpu_ids: list[int] = []
        self.gpu_hosts: list[int] = []
        self.server_ids: list[int] = []
        self.episode_start = (self.now - timedelta(days=3)).replace(hour=13)
        self.pending_usage: list[dict[str, Any]] = []
        self.pending: dict[type[Any], dict[str, list[Any]]] = {}
        self.pending_rows = 0

    def register(self) -> None:
        hw = self.profile.hardware
        for host in range(hw.hosts):
            hostname = f"gpu-node-{host + 1:02d}"
            for index in range(hw.gpus_per_host):
                self.gpu_hosts.append(host)
                self.gpu_ids.append(
                    register_gpu(
                        self.database,
                        source=f"{DEMO_PREFIX}agent",
                        host=hostname,
                        gpu_index=index,
                        uuid=f"GPU-demo{host:02d}{index:02d}-0000-4000-8000-000000000000",
                        name=hw.gpu_name,
                        memory_total_mib=hw.memory_mib,
                        power_limit_w=hw.max_w,
                        seen_at=self.now,
                    )
                )
            self.server_ids.append(
                register_server(
                    self.database,
                    name=f"{DEMO_PREFIX}coder-{host + 1:02d}",
                    kind="vllm",
                    url=f"http://{hostname}:8000",
                    model="Qwen/Qwen2.5-Coder-32B-Instruct",
                    seen_at=self.now,
                )
            )

    def daily_volume(self, day: date, base: int) -> float:
        progress = (day - self.first_day).days / max(self.options.days, 1)
        growth = 0.75 + 0.25 * progress
        noise = self.random.gauss(1.0, 0.07)
        return max(0.0, base * WEEKDAY_FACTOR[day.weekday()] * growth * noise)

    def cloud_rows(self, day: date, fraction: float) -> list[dict[str, Any]]:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        volume = self.daily_volume(day, self.profile.cloud_per_day) * fraction
        rows = []
        for provider, model, project, share, tin, tout, pin, pout in CLOUD_MIX:
            requests = round(volume * share * self.random.uniform(0.9, 1.1))
            input_tokens = round(requests * tin * self.random.uniform(0.85, 1.15))
            output_tokens = round(requests * tout * self.random.uniform(0.85, 1.15))
            cost = (
                Decimal(input_tokens) * Decimal(pin) + Decimal(output_tokens) * Decimal(pout)
            ) / Decimal(1_000_000)
            rows.append(
                {
                    "source": f"{DEMO_PREFIX}{provider}",
                    "bucket_start": start,
                    "bucket_seconds": 86400,
                    "location": "cloud",
                    "provider": provider,
                    "model": model,
                    "project": project,
                    # Anthropic's usage report has no request count: stay faithful to that.
                    "requests": None if provider == "anthropic" else requests,
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "cost_usd": cost.quantize(Decimal("0.000001")),
                }
            )
        return rows

    def local_hours(self, day: date) -> list[tuple[datetime, float]]:
        """(hour start, requests in that hour) across all servers, up to now."""
        volume = self.daily_volume(day, self.profile.local_per_day)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        hours = []
        for hour in range(24):
            at = start + timedelta(hours=hour)
            if at >= self.now:
                break
            hours.append((at, volume * _diurnal(hour) / _DIURNAL_TOTAL))
        return hours

    def write_day(self, day: date) -> dict[str, int]:
        fraction = 1.0 if day < self.now.date() else self.now.hour / 24
        counts = dict.fromkeys(
            ("usage", "gpu_minutes", "gpu_rollups", "srv_minutes", "srv_rollups"), 0
        )
        usage = self.cloud_rows(day, fraction) if fraction > 0 else []
        hours = self.local_hours(day)
        for at, requests in hours:
            usage.append(
                {
                    "source": f"{DEMO_PREFIX}coder",
                    "bucket_start": at,
                    "bucket_seconds": 3600,
                    "location": "local",
                    "provider": "vllm",
                    "model": "Qwen/Qwen2.5-Coder-32B-Instruct",
                    "requests": round(requests),
                    "input_tokens": round(requests * LOCAL_TOKENS[0]),
                    "output_tokens": round(requests * LOCAL_TOKENS[1]),
                }
            )
        self.pending_usage += usage
        counts["usage"] = len(usage)

        hw = self.profile.hardware
        fleet = Fleet(
            self.gpu_ids, self.gpu_hosts, self.server_ids, hw.memory_mib, hw.idle_w, hw.max_w
        )
        episode = (self.episode_start, self.episode_start + timedelta(minutes=90))
        day_rows = telemetry_day(self.rng, fleet, hours, episode, self.minute_cutoff)
        latency = self._latency(hours, day_rows.server_rollups)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        gpu_rollups, server_rollups = day_rows.gpu_rollups, day_rows.server_rollups
        # older days as the retention job leaves them: hours and latency buckets packed
        packed: list[tuple[str, type[Any], dict[str, list[Any]]]] = []
        if start < self.pack_before:
            gpu_rollups, gpu_days = pack_hour_columns(GPU, gpu_rollups)
            server_rollups, server_days = pack_hour_columns(SERVER, server_rollups)
            packed += [("gpu_rollups", GpuHourArchive, gpu_days)]
            packed += [("srv_rollups", ServerHourArchive, server_days)]
        if start < self.latency_before:
            packed.append(("", ServerLatencyDay, pack_bucket_columns(latency)))
        else:
            packed.append(("", ServerLatencyBucket, latency))
        tables: list[tuple[str, type[Any], dict[str, list[Any]]]] = [
            ("gpu_minutes", GpuMinute, day_rows.gpu_minutes),
            ("gpu_rollups", GpuRollup, gpu_rollups),
            ("srv_minutes", ServerMinute, day_rows.server_minutes),
            ("srv_rollups", ServerRollup, server_rollups),
            *packed,
        ]
        for name, model, columns in tables:
            pending = self.pending.setdefault(model, {})
            for column, values in columns.items():
                pending.setdefault(column, []).extend(values)
            rows = len(next(iter(columns.values()), []))
            if name:
                counts[name] += rows
            self.pending_rows += rows
        if self.pending_rows >= FLUSH_ROWS:
            self.flush()
        return counts

    def _latency(
        self, hours: list[tuple[datetime, float]], server_rollups: dict[str, list[Any]]
    ) -> dict[str, list[Any]]:
        """Latency histogram rows of every server-hour (columns), shaped by the hour's load."""
        peak = max((r for _, r in hours), default=1.0) or 1.0
        load = {at: requests / peak for at, requests in hours}
        hourly = [
            (server_id, at, requests)
            for server_id, resolution, at, requests in zip(
                server_rollups.get("server_id", []),
                server_rollups.get("resolution", []),
                server_rollups.get("bucket_start", []),
                server_rollups.get("requests", []),
                strict=True,
            )
            if resolution == "hour"
        ]
        return latency_columns(
            [server_id for server_id, _, _ in hourly],
            [at for _, at, _ in hourly],
            [requests for _, _, requests in hourly],
            [load[at] for _, at, _ in hourly],
        )

    def flush(self) -> None:
        """Write what was generated since the last flush (few, large transactions)."""
        upsert_usage_buckets(self.database, self.pending_usage)
        for model, columns in self.pending.items():
            insert_columns(self.database, model, columns)
        self.pending_usage, self.pending, self.pending_rows = [], {}, 0


def generate_demo(
    database: Database,
    options: DemoOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> DemoSummary:
    """Replace any earlier demo data with ``options.days`` days of a profile, ending now.

    Args:
        progress: called with (days done, days total) after each day is written.
        now: the end of the data (default: the current hour, UTC).
    """
    if options.profile not in PROFILES:
        raise ValueError(f"unknown demo profile {options.profile!r}")
    clear_demo(database)
    generator = _Generator(database, options, now or datetime.now(UTC))
    generator.register()
    totals: dict[str, int] = {}
    days = list(_days(generator.first_day, generator.now.date()))
    for done, day in enumerate(days, start=1):
        for name, count in generator.write_day(day).items():
            totals[name] = totals.get(name, 0) + count
        if progress is not None:
            progress(done, len(days))
    generator.flush()
    # weekly and monthly rollups from the daily ones, as the telemetry rollup job writes them
    rollup_weeks_and_months(
        database,
        datetime(generator.first_day.year, generator.first_day.month, 1, tzinfo=UTC),
        generator.now + timedelta(days=1),
    )
    return DemoSummary(
        profile=options.profile,
        since=generator.first_day,
        until=generator.now.date() + timedelta(days=1),
        usage_rows=totals.get("usage", 0),
        gpus=len(generator.gpu_ids),
        gpu_minute_rows=totals.get("gpu_minutes", 0),
        gpu_rollup_rows=totals.get("gpu_rollups", 0),
        server_minute_rows=totals.get("srv_minutes", 0),
        server_rollup_rows=totals.get("srv_rollups", 0),
    )


def _days(first: date, last: date) -> Iterator[date]:
    current = first
    while current <= last:
        yield current
        current += timedelta(days=1)
