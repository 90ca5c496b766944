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

from golocal.db.database import Database
from golocal.db.models import (
    DEMO_PREFIX,
    GpuMinute,
    GpuRollup,
    ServerLatencyBucket,
    ServerMinute,
    ServerRollup,
)
from golocal.db.rollups import rollup_weeks_and_months
from golocal.db.telemetry import (
    delete_telemetry_sources,
    insert_rows,
    register_gpu,
    register_server,
)
from golocal.db.usage import delete_usage_sources, upsert_usage_buckets
from golocal.jobs.demo_latency import latency_rows


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
LOCAL_TOKENS = (1800, 280)  # input, output tokens per local request
WEEKDAY_FACTOR = (1.0, 1.05, 1.02, 0.98, 0.85, 0.28, 0.2)  # Monday first
MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class DemoOptions:
    """What ``golocal demo`` was asked for."""

    days: int = 30
    profile: str = "team"
    minute_days: int = 14
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
        self.now = now.replace(minute=0, second=0, microsecond=0)
        self.first_day = self.now.date() - timedelta(days=options.days)
        self.minute_cutoff = self.now - timedelta(days=options.minute_days)
        self.gpu_ids: list[int] = []
        self.server_ids: list[int] = []
        self.episode_start = (self.now - timedelta(days=3)).replace(hour=13)

    def register(self) -> None:
        hw = self.profile.hardware
        for host in range(hw.hosts):
            hostname = f"gpu-node-{host + 1:02d}"
            for index in range(hw.gpus_per_host):
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

    def in_episode(self, at: datetime) -> bool:
        return self.episode_start <= at < self.episode_start + timedelta(minutes=90)

    def write_day(self, day: date) -> dict[str, int]:
        fraction = 1.0 if day < self.now.date() else self.now.hour / 24
        counts = dict.fromkeys(
            ("usage", "gpu_minutes", "gpu_rollups", "srv_minutes", "srv_rollups"), 0
        )
        usage = self.cloud_rows(day, fraction) if fraction > 0 else []
        hours = self.local_hours(day)
        servers = len(self.server_ids)
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
        counts["usage"] = upsert_usage_buckets(self.database, usage)

        peak_hour = max((r for _, r in hours), default=1.0) or 1.0
        gpu_minutes: list[dict[str, Any]] = []
        gpu_rollups: list[dict[str, Any]] = []
        srv_minutes: list[dict[str, Any]] = []
        srv_rollups: list[dict[str, Any]] = []
        latency: list[dict[str, Any]] = []
        hw = self.profile.hardware
        for at, requests in hours:
            load = requests / peak_hour  # 0..1 within the day
            detailed = at >= self.minute_cutoff
            for position, gpu_id in enumerate(self.gpu_ids):
                host = position // hw.gpus_per_host
                minutes = self._gpu_hour(gpu_id, host, at, load, detailed, gpu_minutes)
                gpu_rollups.append(minutes)
            for server_id in self.server_ids:
                srv_rollups.append(
                    self._server_hour(
                        server_id, at, requests / servers, load, detailed, srv_minutes
                    )
                )
                latency += latency_rows(server_id, at, srv_rollups[-1]["requests"], load)
        gpu_rollups += _daily(gpu_rollups, "gpu_id", _GPU_SUMS, _GPU_MAXES, _GPU_MEANS)
        srv_rollups += _daily(srv_rollups, "server_id", _SRV_SUMS, _SRV_MAXES, _SRV_MEANS)
        counts["gpu_minutes"] = insert_rows(self.database, GpuMinute, gpu_minutes)
        counts["gpu_rollups"] = insert_rows(self.database, GpuRollup, gpu_rollups)
        counts["srv_minutes"] = insert_rows(self.database, ServerMinute, srv_minutes)
        counts["srv_rollups"] = insert_rows(self.database, ServerRollup, srv_rollups)
        insert_rows(self.database, ServerLatencyBucket, latency)
        return counts

    def _gpu_hour(
        self,
        gpu_id: int,
        host: int,
        at: datetime,
        load: float,
        detailed: bool,
        out: list[dict[str, Any]],
    ) -> dict[str, Any]:
        hw = self.profile.hardware
        gauss = self.random.gauss
        util_sum = mem_sum = power_sum = 0.0
        util_max = mem_max = power_max = temp_max = throttled = saturated = 0.0
        for minute in range(60):
            when = at + timedelta(minutes=minute)
            hot = host == 0 and self.in_episode(when)
            if hot:
                util = min(100.0, 97 + abs(gauss(0, 1.5)))
                mem = hw.memory_mib * 0.96
            else:
                util = min(100.0, max(0.0, 8 + 78 * load + gauss(0, 6)))
                mem = hw.memory_mib * (0.55 + 0.25 * load)
            power = hw.idle_w + (hw.max_w - hw.idle_w) * util / 100 * (0.97 if hot else 0.9)
            temp = 38 + 40 * util / 100 + gauss(0, 1.0)
            sat = 60.0 if util >= 90 and mem >= 0.9 * hw.memory_mib else 0.0
            thr = 25.0 if hot else 0.0
            util_sum += util
            mem_sum += mem
            power_sum += power
            util_max, mem_max = max(util_max, min(100.0, util + 2)), max(mem_max, mem)
            power_max, temp_max = max(power_max, power), max(temp_max, temp)
            throttled += thr
            saturated += sat
            if detailed:
                out.append(
                    {
                        "gpu_id": gpu_id,
                        "minute": when,
                        "samples": 4,
                        "util_mean": round(util, 1),
                        "util_max": round(min(100.0, util + 2), 1),
                        "mem_util_mean": round(util * 0.6, 1),
                        "mem_used_mean_mib": round(mem, 1),
                        "mem_used_max_mib": round(mem, 1),
                        "power_mean_w": round(power, 1),
                        "power_max_w": round(power * 1.04, 1),
                        "energy_j": round(power * 60, 1),
                        "temp_max_c": round(temp, 1),
                        "throttled_s": thr,
                        "saturated_s": sat,
                    }
                )
        return {
            "gpu_id": gpu_id,
            "resolution": "hour",
            "bucket_start": at,
            "minutes": 60,
            "samples": 240,
            "util_mean": round(util_sum / 60, 2),
            "util_max": round(util_max, 1),
            "mem_util_mean": round(util_sum / 60 * 0.6, 2),
            "mem_used_mean_mib": round(mem_sum / 60, 1),
            "mem_used_max_mib": round(mem_max, 1),
            "power_mean_w": round(power_sum / 60, 2),
            "power_max_w": round(power_max * 1.04, 1),
            "energy_j": round(power_sum * 60, 1),
            "temp_max_c": round(temp_max, 1),
            "throttled_s": throttled,
            "saturated_s": saturated,
        }

    def _server_hour(
        self,
        server_id: int,
        at: datetime,
        requests: float,
        load: float,
        detailed: bool,
        out: list[dict[str, Any]],
    ) -> dict[str, Any]:
        per_minute = requests / 60
        total = waiting_sum = kv_sum = running_sum = 0.0
        waiting_max = kv_max = running_max = saturated = 0.0
        count = 0
        for minute in range(60):
            when = at + timedelta(minutes=minute)
            hot = server_id == self.server_ids[0] and self.in_episode(when)
            n = max(0, round(self.random.gauss(per_minute, math.sqrt(per_minute + 1))))
            running = min(64.0, n * 0.4 + (40 if hot else 0))
            waiting = float(self.random.randint(3, 12)) if hot else 0.0
            kv = 0.95 if hot else min(0.85, 0.1 + 0.6 * load)
            sat = 60.0 if waiting > 0 and kv >= 0.9 else 0.0
            total += n
            count += 1
            running_sum, waiting_sum, kv_sum = (
                running_sum + running,
                waiting_sum + waiting,
                kv_sum + kv,
            )
            running_max, waiting_max, kv_max = (
                max(running_max, running),
                max(waiting_max, waiting),
                max(kv_max, kv),
            )
            saturated += sat
            if detailed:
                out.append(
                    {
                        "server_id": server_id,
                        "minute": when,
                        "samples": 4,
                        "requests": n,
                        "prompt_tokens": n * LOCAL_TOKENS[0],
                        "generation_tokens": n * LOCAL_TOKENS[1],
                        "running_mean": running,
                        "running_max": running,
                        "waiting_mean": waiting,
                        "waiting_max": waiting,
                        "kv_cache_mean": kv,
                        "kv_cache_max": kv,
                        "latency_sum_s": n * (2.8 if hot else 1.1),
                        "latency_count": n,
                        "saturated_s": sat,
                    }
                )
        n_total = round(total)
        return {
            "server_id": server_id,
            "resolution": "hour",
            "bucket_start": at,
            "minutes": count,
            "samples": count * 4,
            "requests": n_total,
            "prompt_tokens": n_total * LOCAL_TOKENS[0],
            "generation_tokens": n_total * LOCAL_TOKENS[1],
            "running_mean": running_sum / count,
            "running_max": running_max,
            "waiting_mean": waiting_sum / count,
            "waiting_max": waiting_max,
            "kv_cache_mean": kv_sum / count,
            "kv_cache_max": kv_max,
            "latency_sum_s": n_total * 1.1,
            "latency_count": n_total,
            "saturated_s": saturated,
        }


_GPU_SUMS = ("minutes", "samples", "energy_j", "throttled_s", "saturated_s")
_GPU_MAXES = ("util_max", "mem_used_max_mib", "power_max_w", "temp_max_c")
_GPU_MEANS = ("util_mean", "mem_util_mean", "mem_used_mean_mib", "power_mean_w")
_SRV_SUMS = (
    "minutes",
    "samples",
    "requests",
    "prompt_tokens",
    "generation_tokens",
    "latency_sum_s",
    "latency_count",
    "saturated_s",
)
_SRV_MAXES = ("running_max", "waiting_max", "kv_cache_max")
_SRV_MEANS = ("running_mean", "waiting_mean", "kv_cache_mean")


def _daily(
    hours: list[dict[str, Any]],
    key: str,
    sums: tuple[str, ...],
    maxes: tuple[str, ...],
    means: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Daily rollups of one day's hourly rows: sums, maxima, minute-weighted means."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for row in hours:
        groups.setdefault(row[key], []).append(row)
    days = []
    for ident, rows in groups.items():
        start = rows[0]["bucket_start"].replace(hour=0)
        weight = sum(row["minutes"] for row in rows) or 1
        day: dict[str, Any] = {key: ident, "resolution": "day", "bucket_start": start}
        day |= {name: sum(row[name] for row in rows) for name in sums}
        day |= {name: max(row[name] for row in rows) for name in maxes}
        day |= {name: sum(row[name] * row["minutes"] for row in rows) / weight for name in means}
        days.append(day)
    return days


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
