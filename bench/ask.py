"""Benchmark: answering "should we go local?" in process on 365 vs 30 days of fleet data.

Builds two SQLite databases with ``golocal demo --profile fleet`` data (365 and 30 days,
the same end time), answers the question ``--repeat`` times on each through the chat
handlers, and prints p50/p95 latency of both and the 365d/30d ratio of the p95s.
Targets: p95 <= 200 ms at 365 days, ratio <= 1.5 (the answer reads rollups over its window,
not raw rows, so stored history must not slow it down).

    .venv/bin/python bench/ask.py [--repeat 30] [--db-dir DIR] [--database-url URL365,URL30]

``--db-dir`` keeps the generated databases between runs (generation takes minutes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from golocal.bot.chat import answer
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.database import Database, open_database
from golocal.db.usage import count_usage_buckets
from golocal.jobs.demo import DemoOptions, generate_demo

QUESTION = "should we go local?"
NOW = datetime(2026, 3, 11, 15, tzinfo=UTC)
TARGET_P95_MS = 200.0
TARGET_RATIO = 1.5


def prepared(path: Path, days: int) -> Database:
    """A database holding ``days`` days of fleet demo data (generated once per path)."""
    fresh = not path.exists()
    database = open_database(f"sqlite:///{path}")
    if fresh or count_usage_buckets(database) == 0:
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            if done % 30 == 0 or done == total:
                print(f"  {path.name}: {done}/{total} days", file=sys.stderr)

        generate_demo(database, DemoOptions(days=days, profile="fleet"), progress=progress, now=NOW)
        print(f"  generated {days} days in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return database


def measure(database: Database, repeat: int) -> list[float]:
    """Milliseconds per answer, after one warm-up answer."""
    services = Services(settings=Settings(), database=database, clock=lambda: NOW)
    reply = answer(QUESTION, services)
    assert reply.intent == "should_we_go_local", reply.intent
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer(QUESTION, services)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db-dir", type=Path, help="Keep the generated databases here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.db_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results = {}
        for days in (365, 30):
            database = prepared(folder / f"fleet-{days}d.db", days)
            timings = measure(database, args.repeat)
            database.dispose()
            results[days] = (percentile(timings, 0.5), percentile(timings, 0.95))
    for days, (p50, p95) in results.items():
        print(f"{days:>3} days of fleet data: p50 {p50:6.1f} ms, p95 {p95:6.1f} ms")
    ratio = results[365][1] / results[30][1]
    print(f"365d/30d p95 ratio: {ratio:.2f}")
    ok = results[365][1] <= TARGET_P95_MS and ratio <= TARGET_RATIO
    print(
        f"targets: p95 <= {TARGET_P95_MS:.0f} ms at 365 days, ratio <= {TARGET_RATIO} — "
        + ("met" if ok else "NOT met")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
