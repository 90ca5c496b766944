"""Benchmark: ``golocal demo --days 365 --profile fleet`` against the raw insert floor.

Runs the real command (piped, as a script would: no progress bar, one summary line) into a
fresh SQLite database ``--repeat`` times and prints the median wall time (target <= 60 s).
The baseline, measured in the same run, is the floor for writing that many rows: the same
number of pre-built GPU-minute rows inserted with ``sqlite3.executemany`` into the same
schema, with nothing generated. The ratio says how much generating costs on top of writing.

    .venv/bin/python bench/demo.py [--days 365] [--profile fleet] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from golocal.db.database import open_database

TARGET_S = 60.0


def run_demo(folder: Path, days: int, profile: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOLOCAL_", "SLACK_"))}
    env["GOLOCAL_DATA_DIR"] = str(folder)
    golocal = Path(sys.executable).with_name("golocal")
    started = time.perf_counter()
    completed = subprocess.run(
        [str(golocal), "demo", "--days", str(days), "--profile", profile],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, completed.stdout.strip()


def rows_written(summary: str) -> int:
    """Usage, GPU minute and rollup, and server rows named in the summary line."""
    return sum(
        int(n.replace(",", ""))
        for n in re.findall(r"([\d,]+) (?:usage|minute|rollup|inference)", summary)
    )


def raw_floor(folder: Path, count: int) -> float:
    """Seconds to insert ``count`` ready-made GPU-minute rows through sqlite3 directly."""
    path = folder / "raw.db"
    open_database(f"sqlite:///{path}").dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "INSERT INTO gpus (id, source, host, gpu_index, uuid, name, first_seen, last_seen) "
        "VALUES (1, 'raw', 'h', 0, 'u', 'n', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    start = datetime(2025, 1, 1)
    rows = [
        (1, (start + timedelta(minutes=i)).isoformat(sep=" ", timespec="microseconds"), 4,
         50.0, 52.0, 30.0, 40000.0, 40000.0, 300.0, 312.0, 18000.0, 65.0, 0.0, 0.0)
        for i in range(count)
    ]  # fmt: skip
    sql = (
        "INSERT INTO gpu_minutes (gpu_id, minute, samples, util_mean, util_max, mem_util_mean, "
        "mem_used_mean_mib, mem_used_max_mib, power_mean_w, power_max_w, energy_j, temp_max_c, "
        "throttled_s, saturated_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    started = time.perf_counter()
    with connection:
        for offset in range(0, count, 20_000):
            connection.executemany(sql, rows[offset : offset + 20_000])
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--profile", default="fleet")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    demo_s: list[float] = []
    floor_s: list[float] = []
    summary = ""
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            elapsed, summary = run_demo(Path(scratch), args.days, args.profile)
            demo_s.append(elapsed)
        with tempfile.TemporaryDirectory() as scratch:
            floor_s.append(raw_floor(Path(scratch), rows_written(summary)))
    demo, floor = statistics.median(demo_s), statistics.median(floor_s)
    print(f"golocal demo --days {args.days} --profile {args.profile}, median of {args.repeat}:")
    print(f"  output (piped):       {summary}")
    print(f"  golocal demo:         {demo:7.1f} s  (target <= {TARGET_S:.0f} s: "
          + ("met)" if demo <= TARGET_S else "NOT met)"))  # fmt: skip
    print(f"  raw sqlite3 floor:    {floor:7.1f} s  for {rows_written(summary):,} ready-made rows")
    print(f"  ratio demo/floor:     {demo / floor:7.1f}")
    return 0 if demo <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
