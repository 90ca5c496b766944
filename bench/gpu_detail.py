"""Benchmark: ``report gpus --by minute`` of a 1,024-GPU fleet read from a real
VictoriaMetrics on demand, against the same minutes read from golocal's own database.

Debian's ``victoria-metrics`` (single node) is started on a loopback port and given
``--minutes`` (97) of dcgm-exporter series for ``--hosts`` (128) x 8 GPUs at 15 s through
its CSV import (``/api/v1/import/csv``, VictoriaMetrics docs "How to import CSV data"),
then golocal reads them as a ``[[prometheus]]`` fleet: the batched, bounded fleet reader
(discovery, per-node batches, chunks of at most 100,000 samples and 10,000 steps) and the
merge into minutes. The baseline in the same run: the very minute rows it returned, stored
as a directly scraped GPU's in SQLite, read back by the same report. Prints the medians of
``--repeat`` reads, their ratio, the GPU-minutes and the queries sent.

    .venv/bin/python bench/gpu_detail.py [--hosts 128] [--minutes 97] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.ops

from golocal.config.settings import load_settings
from golocal.db.database import Database, open_database
from golocal.db.rollups import GPU, merge_minutes
from golocal.db.telemetry import GpuSeen, register_gpus
from golocal.jobs.gpu_detail import build_gpu_detail
from tests.ops.processes import free_port, require_binary, server_process

STEP = 15
COLUMNS = (  # CSV import columns: labels, time, then one metric per column
    "1:label:instance,2:label:Hostname,3:label:gpu,4:label:UUID,5:label:modelName,"
    "6:time:unix_s,7:metric:DCGM_FI_DEV_GPU_UTIL,8:metric:DCGM_FI_DEV_FB_USED,"
    "9:metric:DCGM_FI_DEV_FB_FREE,10:metric:DCGM_FI_DEV_POWER_USAGE,"
    "11:metric:DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION,12:metric:DCGM_FI_DEV_GPU_TEMP"
)


@contextmanager
def victoria_metrics(folder: Path) -> Iterator[str]:
    """Debian's victoria-metrics on a free loopback port; yields its base URL."""
    binary = require_binary("victoria-metrics", "victoria-metrics")
    url = f"http://127.0.0.1:{free_port()}"
    command = [
        binary, f"-storageDataPath={folder / 'data'}", f"-httpListenAddr={url[7:]}",
        "-search.latencyOffset=0s", "-search.disableCache", "-retentionPeriod=10y",
    ]  # fmt: skip
    with server_process(command, f"{url}/health", log=folder / "vm.log", timeout=60):
        yield url


def uuid_of(host: int, gpu: int) -> str:
    return f"GPU-{host:04d}{gpu:02d}-bench"


def load(url: str, hosts: int, start: datetime, minutes: int) -> None:
    """Every GPU's series, one CSV row per GPU and step."""
    steps = minutes * 60 // STEP + 2
    first = int(start.timestamp()) - STEP
    for host in range(hosts):
        lines = []
        for gpu in range(8):
            energy = 1e9
            for k in range(steps):
                at = first + k * STEP
                util = (host * 7 + gpu * 13 + k * 3) % 101
                power = 100 + (k * 11 + gpu) % 300
                energy += power * STEP * 1000
                lines.append(
                    f"gpu-node-{host:03d}:9400,gpu-node-{host:03d},{gpu},{uuid_of(host, gpu)},"
                    f"NVIDIA H100,{at},{util},40000,40000,{power},{energy:.0f},{40 + util % 40}"
                )
        response = httpx.post(
            f"{url}/api/v1/import/csv", params={"format": COLUMNS}, content="\n".join(lines)
        )
        response.raise_for_status()
    httpx.get(f"{url}/internal/force_flush", timeout=60)


def register(database: Database, source: str, hosts: int, seen: datetime) -> None:
    register_gpus(
        database,
        source,
        [
            GpuSeen(f"gpu-node-{h:03d}", g, uuid_of(h, g), "NVIDIA H100", 81920, 700.0, seen)
            for h in range(hosts)
            for g in range(8)
        ],
    )


def median_seconds(function: object, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=128)
    parser.add_argument("--minutes", type=int, default=97)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    since = now - timedelta(minutes=args.minutes)
    with tempfile.TemporaryDirectory() as scratch, victoria_metrics(Path(scratch)) as url:
        folder = Path(scratch)
        started = time.perf_counter()
        load(url, args.hosts, since, args.minutes)
        print(f"loaded {args.hosts * 8:,} GPUs x {args.minutes} minutes into VictoriaMetrics "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        config = folder / "golocal.toml"
        config.write_text(f'[[prometheus]]\nname = "fleet"\nurl = "{url}"\nminute_hours = 3\n')
        settings = load_settings(config)
        fleet = open_database(f"sqlite:///{folder / 'fleet.db'}")
        register(fleet, "fleet", args.hosts, now)
        queries = 0

        def count(request: httpx.Request) -> None:
            nonlocal queries
            queries += 1

        client = httpx.Client(timeout=120, event_hooks={"request": [count]})

        def from_prometheus() -> object:
            return build_gpu_detail(
                fleet, settings, by="minute", since=since, until=now, now=now, client=client
            )

        remote, detail = median_seconds(from_prometheus, args.repeat)
        rows = detail.rows  # type: ignore[attr-defined]
        assert all(row.origin == "prometheus:fleet" for row in rows), "not read from the TSDB"
        # the baseline: the same minutes, stored as a directly scraped source's
        local = open_database(f"sqlite:///{folder / 'local.db'}")
        register(local, "node", args.hosts, now)
        merge_minutes(
            local, GPU,
            [{"gpu_id": r.gpu_id, "minute": r.start, "samples": r.samples,
              "util_mean": r.util_mean, "util_max": r.util_max, "power_mean_w": r.power_mean_w,
              "power_max_w": r.power_max_w, "energy_j": r.energy_j,
              "mem_used_mean_mib": r.mem_used_mean_mib, "mem_used_max_mib": r.mem_used_max_mib,
              "temp_max_c": r.temp_max_c} for r in rows],
        )  # fmt: skip

        def from_database() -> object:
            return build_gpu_detail(local, settings, by="minute", since=since, until=now, now=now)

        stored, again = median_seconds(from_database, args.repeat)
        assert len(again.rows) == len(rows)  # type: ignore[attr-defined]
        per_read = queries // args.repeat
        print(f"GPU-minutes per report: {len(rows):,} ({args.hosts * 8:,} GPUs)")
        print(f"from VictoriaMetrics: median {remote:.2f} s, {per_read} queries per report")
        print(f"from SQLite (baseline, same rows): median {stored:.2f} s")
        print(f"ratio VictoriaMetrics / SQLite: {remote / stored:.1f}")
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
