"""Benchmark: a 64-GPU fleet for 365 days through the real rollup code, on SQLite.

The last ``retention.minute_days`` days are written as minute rows and rolled up to hours
and days by :func:`golocal.db.rollups.rollup_telemetry`; older days are written as the
hourly rows that minute data would have rolled up to (their minutes are gone by retention
anyway) and rolled up to days by the same function (``--full`` writes minutes for every day
instead: slow). Then retention runs, and the figures are printed: database size, rows per
table, the time of the GPU report for 7 and for 365 days and their ratio (target ≤ 1.5,
because reports read daily rollups), and the size target (≤ 1 GB).

    python bench/telemetry.py [--gpus 64] [--days 365] [--db PATH] [--full]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from golocal.db.database import Database, open_database
from golocal.db.models import GpuMinute, GpuRollup
from golocal.db.retention import RetentionPolicy, apply_retention
from golocal.db.rollups import GPU, rollup_telemetry
from golocal.db.telemetry import insert_rows, register_gpu, table_counts, touch_gpus
from golocal.jobs.gpu_report import build_gpu_report

GPUS_PER_HOST = 8
MEMORY_MIB = 81559
IDLE_W, MAX_W = 70.0, 700.0


def _load(day: date, minute: int, rng: random.Random) -> float:
    hour = minute / 60
    office = math.exp(-(((hour - 13) / 3.5) ** 2))
    weekday = 1.0 if day.weekday() < 5 else 0.3
    return min(100.0, max(0.0, 5 + 90 * office * weekday + rng.gauss(0, 5)))


def _minute_row(gpu_id: int, at: datetime, util: float) -> dict[str, Any]:
    power = IDLE_W + (MAX_W - IDLE_W) * util / 100
    mem = MEMORY_MIB * (0.5 + 0.45 * util / 100)
    saturated = 60.0 if util >= 90 and mem >= 0.9 * MEMORY_MIB else 0.0
    return {
        "gpu_id": gpu_id,
        "minute": at,
        "samples": 4,
        "util_mean": round(util, 1),
        "util_max": round(min(100.0, util + 3), 1),
        "mem_util_mean": round(util * 0.6, 1),
        "mem_used_mean_mib": round(mem, 1),
        "mem_used_max_mib": round(mem, 1),
        "power_mean_w": round(power, 1),
        "power_max_w": round(power * 1.03, 1),
        "energy_j": round(power * 60, 1),
        "temp_max_c": round(35 + 45 * util / 100, 1),
        "throttled_s": 15.0 if util > 97 else 0.0,
        "saturated_s": saturated,
    }


def _hour_row(gpu_id: int, at: datetime, minutes: list[dict[str, Any]]) -> dict[str, Any]:
    """What rolling these minute rows up gives (used only for days before minute retention)."""
    n = len(minutes)
    row: dict[str, Any] = {
        "gpu_id": gpu_id,
        "resolution": "hour",
        "bucket_start": at,
        "minutes": n,
        "samples": sum(m["samples"] for m in minutes),
    }
    for name in GPU.sums:
        row[name] = sum(m[name] for m in minutes)
    for name in GPU.maxes:
        row[name] = max(m[name] for m in minutes)
    for name in GPU.means:
        row[name] = sum(m[name] for m in minutes) / n
    return row


def _day(database: Database, gpu_ids: list[int], day: date, detailed: bool, seed: int) -> None:
    rng = random.Random(f"{seed}:{day}")
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    minute_rows: list[dict[str, Any]] = []
    hour_rows: list[dict[str, Any]] = []
    # detailed days: every minute; older days: every 5th minute stands for its hour's shape
    step = 1 if detailed else 5
    for gpu_id in gpu_ids:
        for hour in range(24):
            rows = []
            for minute in range(hour * 60, hour * 60 + 60, step):
                at = start + timedelta(minutes=minute)
                rows.append(_minute_row(gpu_id, at, _load(day, minute, rng)))
            if detailed:
                minute_rows.extend(rows)
            else:
                hour_row = _hour_row(gpu_id, start + timedelta(hours=hour), rows)
                hour_row["minutes"], hour_row["samples"] = 60, 240
                for name in GPU.sums:
                    hour_row[name] *= step
                hour_rows.append(hour_row)
    insert_rows(database, GpuMinute, minute_rows)
    insert_rows(database, GpuRollup, hour_rows)
    rollup_telemetry(database, start, start + timedelta(days=1), specs=(GPU,))


def _timed(function: Any, repeat: int = 7) -> float:
    function()  # warm up: first-query compilation and the page cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=64)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--minute-days", type=int, default=14)
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--full", action="store_true", help="minute rows for every day")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    path = args.db or Path(tempfile.mkdtemp(prefix="golocal-bench-")) / "telemetry.db"
    path.unlink(missing_ok=True)
    database = open_database(f"sqlite:///{path}")
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = (now - timedelta(days=args.days)).date()
    gpu_ids = [
        register_gpu(
            database,
            source="bench",
            host=f"node{i // GPUS_PER_HOST:02d}",
            gpu_index=i % GPUS_PER_HOST,
            uuid=f"GPU-bench-{i:04d}",
            name="NVIDIA H100 80GB HBM3",
            memory_total_mib=MEMORY_MIB,
            power_limit_w=MAX_W,
            seen_at=datetime(first.year, first.month, first.day, tzinfo=UTC),
        )
        for i in range(args.gpus)
    ]
    started = time.perf_counter()
    minute_cut = (now - timedelta(days=args.minute_days)).date()
    for offset in range(args.days):
        day = first + timedelta(days=offset)
        _day(database, gpu_ids, day, args.full or day >= minute_cut, args.seed)
        if offset % 30 == 29:
            print(f"  {offset + 1} days written ({time.perf_counter() - started:.0f} s)")
    deleted = apply_retention(database, RetentionPolicy(args.minute_days, 400, None), now=now)
    touch_gpus(database, gpu_ids, now)
    load_s = time.perf_counter() - started
    with database.engine.connect() as connection:
        connection.exec_driver_sql("VACUUM")
    size = path.stat().st_size

    until = now.date()
    week = _timed(lambda: build_gpu_report(database, until - timedelta(days=7), until).as_json())
    year = _timed(lambda: build_gpu_report(database, first, until).as_json())
    # a year whose edges fall inside months that hold other data: edge days are read
    edges = _timed(
        lambda: build_gpu_report(
            database, first + timedelta(days=10), until - timedelta(days=10)
        ).as_json()
    )
    report = build_gpu_report(database, first, until)

    print(f"\n{args.gpus} GPUs x {args.days} days on SQLite ({path})")
    print(f"load + rollups + retention: {load_s:.1f} s (retention deleted {deleted})")
    for table, count in table_counts(database).items():
        print(f"  {table:<18} {count:>12,} rows")
    print(
        f"database size: {size / 2**20:,.1f} MiB (target <= 1024 MiB: "
        f"{'ok' if size <= 2**30 else 'OVER'})"
    )
    print(f"report gpus, 7 days:   {week * 1000:8.1f} ms")
    print(f"report gpus, {args.days} days: {year * 1000:8.1f} ms")
    print(f"report gpus, {args.days - 20} days with edge days: {edges * 1000:8.1f} ms")
    ratio = year / week
    print(f"ratio: {ratio:.2f} (target <= 1.5: {'ok' if ratio <= 1.5 else 'OVER'})")
    print(f"ratio with edge days: {edges / week:.2f}")
    print(f"fleet energy over the year: {report.energy_kwh or 0:,.0f} kWh")
    database.dispose()


if __name__ == "__main__":
    main()
