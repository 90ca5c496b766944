"""Benchmark: a 1,024-GPU fleet (128 hosts x 8) through a real Prometheus, and a year of it.

1. Collection cycle. One loopback server plays 128 hosts, each a dcgm-exporter (8 GPUs) and
   a vLLM instance; Debian's ``prometheus`` scrapes all 256 targets every
   ``--scrape-seconds``. golocal's ``[[prometheus]]`` source then collects the last
   ``schedule.telemetry_seconds`` (15 s) every interval, as the scheduler does; the median
   cycle time is printed against the interval (target <= 10 %), with the number of HTTP
   queries per cycle and the largest answer (the queries are batched and bounded).
2. A year of rollups. Hourly rollups of every GPU for ``--days`` (365) days are written as
   collection would leave them (hourly rows, then daily, weekly and monthly from them), plus
   a year of cloud usage, on SQLite and (with ``--postgres-url`` or
   ``GOLOCAL_TEST_POSTGRES_URL``) PostgreSQL; the database size is printed (target <= 1 GiB).
3. Answer time on that year: ``report gpus`` for the last 7 days against 365 days, and
   "should we go local?" on the year's database against a 7-day one (the same fleet), each
   pair interleaved call by call after warm-up calls; p95 of ``--repeat`` calls per round,
   the median over ``--rounds`` rounds and the median of the rounds' 365/7 ratios
   (targets: p95 <= 200 ms, ratio <= 1.5; see ``answer_timing.py``).

    .venv/bin/python bench/fleet.py [--hosts 128] [--days 365] [--skip-cycle] [--skip-year]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import numpy as np
from answer_timing import Figure, interleaved_p95, ratio_text  # beside this script
from ingest import drop_database  # beside this script
from sqlalchemy import create_engine, text

from golocal.bot.chat import answer
from golocal.bot.services import Services
from golocal.config.settings import Retention, Settings, load_settings
from golocal.db import migrate
from golocal.db.bulk import insert_columns
from golocal.db.database import Database, create_database_engine, normalise_url, open_database
from golocal.db.hour_archive import pack_hour_columns
from golocal.db.latency import PACK_AFTER_DAYS, pack_bucket_columns
from golocal.db.models import ServerLatencyBucket, ServerLatencyDay
from golocal.db.retention import RetentionPolicy, apply_retention
from golocal.db.rollups import GPU, SERVER, AggregateSpec, floor_day, rollup_weeks_and_months
from golocal.db.telemetry import register_gpu, register_server, table_counts
from golocal.db.usage import upsert_usage_buckets
from golocal.jobs.gpu_report import build_gpu_report
from golocal.jobs.telemetry import collect_telemetry, telemetry_client

GPUS_PER_HOST = 8
MEMORY_MIB, IDLE_W, MAX_W = 81559, 70.0, 700.0
TARGET_CYCLE_SHARE = 0.10
TARGET_P95_MS = 200.0
TARGET_RATIO = 1.5
TARGET_BYTES = 2**30
VLLM_HISTOGRAMS = {
    "ttft": "vllm:time_to_first_token_seconds",
    "e2e": "vllm:e2e_request_latency_seconds",
    "queue": "vllm:request_queue_time_seconds",
}


# --- 1. the collection cycle -----------------------------------------------------------


def exporter_text(kind: str, host: int, at: float) -> str:
    """A dcgm-exporter or vLLM ``/metrics`` body for one host at time ``at``."""
    if kind == "dcgm":
        lines = []
        families = {
            "DCGM_FI_DEV_GPU_UTIL": lambda g: 40 + 5 * g,
            "DCGM_FI_DEV_MEM_COPY_UTIL": lambda g: 20 + g,
            "DCGM_FI_DEV_FB_USED": lambda g: 40000 + 100 * g,
            "DCGM_FI_DEV_FB_FREE": lambda g: 41000 - 100 * g,
            "DCGM_FI_DEV_FB_RESERVED": lambda g: 559,
            "DCGM_FI_DEV_POWER_USAGE": lambda g: 300 + 10 * g,
            "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": lambda g: int((300 + 10 * g) * at * 1000),
            "DCGM_FI_DEV_GPU_TEMP": lambda g: 60 + g,
        }
        for name, value in families.items():
            kind_ = "counter" if name.endswith("CONSUMPTION") else "gauge"
            lines.append(f"# TYPE {name} {kind_}")
            for gpu in range(GPUS_PER_HOST):
                labels = (
                    f'gpu="{gpu}",UUID="GPU-{host:03d}-{gpu}",modelName="NVIDIA H100 80GB HBM3",'
                    f'Hostname="gpu-node-{host:03d}"'
                )
                lines.append(f"{name}{{{labels}}} {value(gpu)}")
        return "\n".join(lines) + "\n"
    served = int(at) // 2  # one request every two seconds per instance
    labels = 'engine="0",model_name="Qwen/Qwen2.5-Coder-32B-Instruct"'
    lines = [
        "# TYPE vllm:request_success_total counter",
        f'vllm:request_success_total{{{labels},finished_reason="stop"}} {served}',
        "# TYPE vllm:prompt_tokens_total counter",
        f"vllm:prompt_tokens_total{{{labels}}} {served * 1800}",
        "# TYPE vllm:generation_tokens_total counter",
        f"vllm:generation_tokens_total{{{labels}}} {served * 280}",
        "# TYPE vllm:num_requests_running gauge",
        f"vllm:num_requests_running{{{labels}}} 4",
        "# TYPE vllm:num_requests_waiting gauge",
        f"vllm:num_requests_waiting{{{labels}}} 0",
        "# TYPE vllm:kv_cache_usage_perc gauge",
        f"vllm:kv_cache_usage_perc{{{labels}}} 0.42",
    ]
    # the three latency histograms with vLLM's bounds: 66 bucket series an instance
    for metric, family in VLLM_HISTOGRAMS.items():
        lines.append(f"# TYPE {family} histogram")
        bounds = [*map(str, LATENCY_BOUNDS[metric]), "+Inf"]
        for le, share in zip(bounds, _LATENCY_SHARE[metric], strict=True):
            lines.append(f'{family}_bucket{{{labels},le="{le}"}} {int(served * share)}')
        lines.append(f"{family}_sum{{{labels}}} {served * 4.0}")
        lines.append(f"{family}_count{{{labels}}} {served}")
    return "\n".join(lines) + "\n"


@contextmanager
def exporters() -> Iterator[str]:
    """One loopback server answering ``/dcgm/<host>`` and ``/vllm/<host>``; yields host:port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            match = re.fullmatch(r"/(dcgm|vllm)/(\d+)", self.path)
            if match is None:
                self.send_error(404)
                return
            body = exporter_text(match.group(1), int(match.group(2)), time.time()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def prometheus(address: str, hosts: int, scrape_seconds: int, folder: Path) -> Iterator[str]:
    """Debian's prometheus scraping every host's two endpoints; yields its base URL."""
    import shutil
    import socket
    import subprocess

    binary = shutil.which("prometheus")
    if binary is None:
        raise SystemExit("prometheus is not installed (Debian package prometheus)")
    jobs = [
        {"job_name": f"{kind}-{host:03d}", "metrics_path": f"/{kind}/{host}",
         # one loopback server plays every node: each gets the instance label of its own
         "static_configs": [{"targets": [address], "labels": {
             "instance": f"gpu-node-{host:03d}:{9400 if kind == 'dcgm' else 8000}"}}]}
        for host in range(hosts)
        for kind in ("dcgm", "vllm")
    ]  # fmt: skip
    config = folder / "prometheus.yml"
    config.write_text(
        json.dumps(
            {
                "global": {"scrape_interval": f"{scrape_seconds}s", "scrape_timeout": "1s"},
                "scrape_configs": jobs,
            }
        )
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (folder / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={folder / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def measure_cycles(hosts: int, cycles: int, scrape_seconds: int) -> None:
    with tempfile.TemporaryDirectory() as scratch, exporters() as address:
        folder = Path(scratch)
        with prometheus(address, hosts, scrape_seconds, folder) as url:
            expected = hosts * GPUS_PER_HOST
            print(f"  waiting for Prometheus to scrape {hosts * 2} targets ({expected} GPUs)…")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                answer_ = httpx.get(
                    f"{url}/api/v1/query", params={"query": "count(DCGM_FI_DEV_GPU_UTIL)"}
                ).json()
                result = answer_["data"]["result"]
                if result and float(result[0]["value"][1]) >= expected:
                    break
                time.sleep(1)
            config = folder / "golocal.toml"
            config.write_text(
                f'database_url = "sqlite:///{folder / "golocal.db"}"\n'
                f'[[prometheus]]\nname = "fleet"\nurl = "{url}"\nstep_seconds = 15\n'
            )
            settings = load_settings(config)
            database = open_database(settings.effective_database_url)
            interval = settings.schedule.telemetry_seconds
            cycle: dict[str, list[int]] = {"gpu": [], "vllm": []}

            def count(response: httpx.Response) -> None:
                response.read()
                form = parse_qs(response.request.content.decode())
                kind = "vllm" if "vllm:" in form.get("query", [""])[0] else "gpu"
                cycle[kind].append(len(response.content))

            client = telemetry_client(settings)
            client.event_hooks["response"] = [count]
            collect_telemetry(database, settings, client=client)  # first read: 5 minutes back
            runs: list[tuple[float, dict[str, list[int]]]] = []
            rows = 0
            for _ in range(cycles):
                time.sleep(interval)
                cycle = {"gpu": [], "vllm": []}
                started = time.perf_counter()
                (result,) = collect_telemetry(database, settings, client=client)
                runs.append((time.perf_counter() - started, cycle))
                assert result.ok, result.message
                rows = result.rows
            client.close()
            gpus = table_counts(database).get("gpus", 0)
            servers = table_counts(database).get("inference_servers", 0)
            database.dispose()
    report_cycles(runs, interval, gpus, hosts, servers, rows)


def report_cycles(
    runs: list[tuple[float, dict[str, list[int]]]],
    interval: int,
    gpus: int,
    hosts: int,
    servers: int,
    rows: int,
) -> None:
    """Median cycle against the interval; the cycles that read a new minute of the vLLM
    instances (one in four at a 15 s interval) apart, with their queries and answers."""
    times = [seconds for seconds, _ in runs]
    median = statistics.median(times)
    share = median / interval
    print(f"collection cycle, {gpus:,} GPUs and {hosts} vLLM instances via a real Prometheus:")
    print(f"  vLLM instances stored: {servers}; last result: {rows:,} rows")
    for kind, label in (("gpu", "GPU queries per cycle"), ("vllm", "vLLM queries per minute read")):
        counts = [len(c[kind]) for _, c in runs if c[kind]] or [0]
        sizes = [size for _, c in runs for size in c[kind]]
        print(
            f"  {label}: median {statistics.median(counts):.0f}, most {max(counts)}; "
            f"largest answer {max(sizes, default=0) / 1024:,.0f} KiB"
        )
    with_vllm = [seconds for seconds, c in runs if c["vllm"]]
    if with_vllm:
        worst = max(with_vllm)
        each = ", ".join(f"{s:.2f} s/{len(c['vllm'])} queries" for s, c in runs if c["vllm"])
        print(
            f"  cycles reading a vLLM minute: {len(with_vllm)} of {len(runs)} ({each}), "
            f"slowest {worst:.2f} s = {worst / interval:.1%} of the interval "
            f"(target <= {TARGET_CYCLE_SHARE:.0%}: "
            + ("met)" if worst / interval <= TARGET_CYCLE_SHARE else "NOT met)")
        )
    else:
        print("  no cycle read a vLLM minute (run more --cycles)")
    print(
        f"  median cycle {median:.2f} s of a {interval} s interval = {share:.1%} "
        f"(target <= {TARGET_CYCLE_SHARE:.0%}: "
        + ("met)" if share <= TARGET_CYCLE_SHARE else "NOT met)")
    )


# --- 2. a year of rollups ------------------------------------------------------------


def fresh_postgres(admin_url: str) -> tuple[str, Callable[[], None]]:
    admin = normalise_url(admin_url)
    name = f"golocal_fleet_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    migrated = create_database_engine(url)
    migrate.upgrade(migrated)
    migrated.dispose()

    def drop() -> None:
        with engine.connect() as connection:
            drop_database(connection, name)
        engine.dispose()

    return url, drop


def _write_day(
    database: Database,
    spec: AggregateSpec,
    ids: list[int],
    day: datetime,
    hourly: dict[str, np.ndarray],
    *,
    packed: bool,
) -> None:
    """One day of hourly values (one row per GPU or server, 24 columns) as collection and
    retention leave it: hour rows (packed once ``packed``, as the demo packs them) and the
    day's rollup."""
    rows = len(ids) * 24
    columns: dict[str, list[Any]] = {
        spec.key: np.repeat(ids, 24).tolist() + ids,
        "resolution": ["hour"] * rows + ["day"] * len(ids),
        "bucket_start": [day + timedelta(hours=h) for h in range(24)] * len(ids) + [day] * len(ids),
        "minutes": [60] * rows + [1440] * len(ids),
        "samples": [240] * rows + [5760] * len(ids),
    }
    integers = {"requests", "aborted_requests", "failed_requests", "prompt_tokens",
                "generation_tokens", "latency_count"}  # fmt: skip
    for name, values in hourly.items():
        fold = (
            values.sum(1)
            if name in spec.sums
            else values.max(1)
            if name in spec.maxes
            else values.mean(1)
        )
        if name in integers:
            values, fold = values.astype(np.int64), fold.astype(np.int64)
        columns[name] = values.ravel().tolist() + fold.tolist()
    if packed:  # what retention leaves of a day older than pack_hours_after_days
        columns, packed_days = pack_hour_columns(spec, columns)
        insert_columns(database, spec.archive, packed_days)
    insert_columns(database, spec.rollup, columns)


#: vLLM's histogram bounds (vllm/v1/metrics/loggers.py): time to first token, end to end,
#: queue time
LATENCY_BOUNDS = {
    "ttft": (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
             7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0),
    "e2e": (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
            120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0),
    "queue": (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
              120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0),
}  # fmt: skip
#: the share of requests at or below each bound: a log-normal around 0.4 s / 4 s / 0.05 s
_LATENCY_SHARE = {
    metric: np.append(
        [0.5 * (1 + math.erf(math.log(bound / middle) / 1.4)) for bound in LATENCY_BOUNDS[metric]],
        1.0,
    )
    for metric, middle in (("ttft", 0.4), ("e2e", 4.0), ("queue", 0.05))
}


def _write_latency(
    database: Database, servers: list[int], day: datetime, served: np.ndarray, *, packed: bool
) -> None:
    """A day of the servers' histogram bucket increases: a row per bound of the day, or
    one packed row per server once retention would have packed the day."""
    names = {m: [f"{b:g}" for b in bounds] + ["+Inf"] for m, bounds in LATENCY_BOUNDS.items()}
    daily = served.sum(1)
    counts = {metric: np.round(np.outer(daily, share)).astype(int).tolist()
              for metric, share in _LATENCY_SHARE.items()}  # fmt: skip
    columns: dict[str, list[Any]] = {"server_id": [], "metric": [], "le": [], "count": []}
    for i, server in enumerate(servers):
        for metric in names:
            columns["server_id"] += [server] * len(names[metric])
            columns["metric"] += [metric] * len(names[metric])
            columns["le"] += names[metric]
            columns["count"] += counts[metric][i]
    columns["bucket_start"] = [day] * len(columns["count"])
    if packed:
        insert_columns(database, ServerLatencyDay, pack_bucket_columns(columns))
    else:
        insert_columns(database, ServerLatencyBucket, columns)


def write_year(database: Database, hosts: int, days: int, now: datetime) -> None:
    """Hourly rollups of every GPU and vLLM instance for ``days`` days, their
    daily/weekly/monthly rollups,
    and a cloud usage bucket per day: what a year of collection leaves behind. Hours of
    days older than ``retention.pack_hours_after_days`` are packed as retention packs them,
    but for the last of those days, left as rows for the bench to time its packing."""
    first = (now - timedelta(days=days)).replace(hour=0)
    pack_before = floor_day(now - timedelta(days=Retention().pack_hours_after_days + 1))
    latency_before = floor_day(now) - timedelta(days=PACK_AFTER_DAYS - 1)
    ids = [
        register_gpu(
            database, source="fleet", host=f"gpu-node-{i // GPUS_PER_HOST:03d}",
            gpu_index=i % GPUS_PER_HOST, uuid=f"GPU-{i // GPUS_PER_HOST:03d}-{i % GPUS_PER_HOST}",
            name="NVIDIA H100 80GB HBM3", memory_total_mib=MEMORY_MIB, power_limit_w=MAX_W,
            seen_at=now,
        )
        for i in range(hosts * GPUS_PER_HOST)
    ]  # fmt: skip
    servers = [
        register_server(
            database, name=f"fleet/gpu-node-{host:03d}:8000", kind="vllm", url="",
            model="meta-llama/Llama-3.3-70B-Instruct", seen_at=now,
        )
        for host in range(hosts)
    ]  # fmt: skip
    rng = np.random.default_rng(2026)
    office = np.exp(-(((np.arange(24) - 13) / 3.5) ** 2))
    usage = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        weekday = 1.0 if day.weekday() < 5 else 0.3
        load = np.clip(5 + 90 * office * weekday + rng.normal(0, 5, (len(ids), 24)), 0, 100)
        power = IDLE_W + (MAX_W - IDLE_W) * load / 100
        hourly = {
            "util_mean": np.round(load, 2), "util_max": np.round(np.minimum(100, load + 3), 1),
            "mem_util_mean": np.round(load * 0.6, 2),
            "mem_used_mean_mib": np.round(MEMORY_MIB * (0.5 + 0.45 * load / 100), 1),
            "mem_used_max_mib": np.round(MEMORY_MIB * (0.5 + 0.45 * load / 100), 1),
            "power_mean_w": np.round(power, 2), "power_max_w": np.round(power * 1.03, 1),
            "energy_j": np.round(power * 3600, 1), "temp_max_c": np.round(35 + 45 * load / 100, 1),
            "throttled_s": np.where(load > 97, 60.0, 0.0), "saturated_s": np.zeros_like(load),
        }  # fmt: skip
        _write_day(database, GPU, ids, day, hourly, packed=day < pack_before)
        served = np.round(load[::GPUS_PER_HOST] * 36)  # requests an hour per vLLM instance
        running = np.round(load[::GPUS_PER_HOST] / 6, 2)
        _write_day(database, SERVER, servers, day, {
            "requests": served, "aborted_requests": np.round(served / 200),
            "failed_requests": np.zeros_like(served), "prompt_tokens": served * 2600,
            "generation_tokens": served * 420, "running_mean": running,
            "running_max": np.ceil(running * 1.5), "waiting_mean": np.round(running / 10, 2),
            "waiting_max": np.ceil(running / 5), "kv_cache_mean": np.round(load[::8] / 120, 3),
            "kv_cache_max": np.round(load[::8] / 100, 3), "latency_sum_s": served * 4.2,
            "latency_count": served, "saturated_s": np.zeros_like(served),
        }, packed=day < pack_before)  # fmt: skip
        _write_latency(database, servers, day, served, packed=day < latency_before)
        requests = int(3000 * weekday * rng.uniform(0.9, 1.1))
        usage.append(
            {"source": "openai", "bucket_start": day, "bucket_seconds": 86400,
             "location": "cloud", "provider": "openai", "model": "gpt-4.1",
             "requests": requests, "input_tokens": requests * 2600,
             "output_tokens": requests * 420,
             "cost_usd": (Decimal(requests * 2600 * 2 + requests * 420 * 8) / 10**6)}
        )  # fmt: skip
    upsert_usage_buckets(database, usage)
    rollup_weeks_and_months(database, first, now + timedelta(days=1))


def database_bytes(database: Database, path: Path | None) -> int:
    with database.engine.connect() as connection:
        if database.dialect == "postgresql":
            return int(
                connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            )
    assert path is not None
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def settle(database: Database) -> None:
    """What autovacuum does after a bulk load (VACUUM ANALYZE), done before timing so it
    does not run beside the timed answers; SQLite needs nothing."""
    if database.dialect == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM (ANALYZE)")


def p95_check(figure: Figure) -> str:
    met = "met" if figure.median <= TARGET_P95_MS else "NOT met"
    return f"target <= {TARGET_P95_MS:.0f} ms: {met}"


def measure_year(
    url: str, path: Path | None, hosts: int, days: int, repeat: int, rounds: int, week_url: str
) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    label = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    started = time.perf_counter()
    database = open_database(url)
    write_year(database, hosts, days, now)
    written = time.perf_counter() - started
    settle(database)
    size = database_bytes(database, path)
    counts = table_counts(database)
    print(f"{label}: {hosts * GPUS_PER_HOST:,} GPUs x {days} days written in {written:.0f} s")
    print(f"  rows: {', '.join(f'{t} {n:,}' for t, n in counts.items() if n)}")
    print(
        f"  database size: {size / 2**20:,.0f} MiB (target <= {TARGET_BYTES / 2**20:,.0f} MiB: "
        f"{'met' if size <= TARGET_BYTES else 'NOT met'})"
    )
    short = open_database(week_url)  # the same fleet with a week of history, to compare with
    write_year(short, hosts, 7, now)
    settle(short)
    until = now.date()
    print(f"  p95 of {repeat} interleaved calls each, median (min-max) of {rounds} rounds:")
    week, year, ratio = interleaved_p95(
        lambda: build_gpu_report(database, until - timedelta(days=7), until, now=now),
        lambda: build_gpu_report(database, until - timedelta(days=days), until, now=now),
        repeat=repeat,
        rounds=rounds,
    )
    print(f"  report gpus p95: 7 days {week}, {days} days {year} ({p95_check(year)})")
    print(f"    {days} days / 7 days: {ratio_text(ratio, TARGET_RATIO)}")
    services = Services(settings=Settings(), database=database, clock=lambda: now)
    services_week = Services(settings=Settings(), database=short, clock=lambda: now)
    ask_week, ask, ask_ratio = interleaved_p95(
        lambda: answer("should we go local?", services_week),
        lambda: answer("should we go local?", services),
        repeat=repeat,
        rounds=rounds,
    )
    verdict = answer("should we go local?", services).data.get("verdict")
    short.dispose()
    print(
        f'  "should we go local?" p95: 7-day database {ask_week}, {days}-day database {ask} '
        f"({p95_check(ask)}; verdict {verdict})"
    )
    print(f"    {days}-day / 7-day database: {ratio_text(ask_ratio, TARGET_RATIO)}")
    # the retention job: it packs the one day that has just aged out
    started = time.perf_counter()
    done = apply_retention(database, RetentionPolicy(), now=now)
    database.dispose()
    print(
        f"  retention packing a day of {done['gpu_hour_archive:packed']:,} GPUs and "
        f"{done['server_hour_archive:packed']:,} servers: "
        f"{time.perf_counter() - started:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=128)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--scrape-seconds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20, help="timed answers per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of --repeat answers")
    parser.add_argument("--skip-cycle", action="store_true")
    parser.add_argument("--skip-year", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true", help="the year on PostgreSQL only")
    parser.add_argument("--postgres-url", default=os.environ.get("GOLOCAL_TEST_POSTGRES_URL"))
    args = parser.parse_args(argv)
    if not args.skip_cycle:
        measure_cycles(args.hosts, args.cycles, args.scrape_seconds)
    if args.skip_year:
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "year.db"
        if args.skip_sqlite:
            path = None
        if path is not None:
            week = f"sqlite:///{path.with_name('week.db')}"
            measure_year(
                f"sqlite:///{path}", path, args.hosts, args.days, args.repeat, args.rounds, week
            )
    if args.postgres_url:
        url, drop = fresh_postgres(args.postgres_url)
        week, drop_week = fresh_postgres(args.postgres_url)
        try:
            measure_year(url, None, args.hosts, args.days, args.repeat, args.rounds, week)
        finally:
            drop()
            drop_week()
    else:
        print("PostgreSQL: skipped (no --postgres-url or GOLOCAL_TEST_POSTGRES_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
