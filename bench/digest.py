"""Benchmark: the weekly digest on a year of fleet demo data vs on a month, in one run.

The digest reads one week (plus four weeks of trend and the month for the budget), so with
time-indexed queries its cost must not grow with the history kept: the target is a ratio of
at most 1.5 between 365 and 30 days of history. Also prints the chart's render time.

    .venv/bin/python bench/digest.py [--long-days 365] [--short-days 30] [--repeat 5]

Data generation (the slow part) is not timed. Databases are temporary SQLite files unless
``--database-url`` names an empty PostgreSQL database (it is used for both runs in turn).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from golocal.bot.render.chart import render_digest_chart
from golocal.bot.render.digest import digest_blocks, digest_text
from golocal.config.settings import load_settings
from golocal.db.database import Database, open_database
from golocal.jobs.demo import DemoOptions, generate_demo
from golocal.jobs.digest import build_digest, last_complete_week

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
TARGET_RATIO = 1.5


def _timed(function: object, repeat: int) -> float:
    """Median wall time of ``repeat`` calls, in seconds (after one warm-up call)."""
    function()  # type: ignore[operator]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _digest_time(database: Database, days: int, profile: str, repeat: int) -> tuple[float, dict]:
    started = time.perf_counter()
    summary = generate_demo(
        database, DemoOptions(days=days, profile=profile, minute_days=1), now=NOW
    )
    print(
        f"  {days} days of {profile} data generated in {time.perf_counter() - started:.0f} s "
        f"({summary.usage_rows:,} usage buckets, {summary.gpu_rollup_rows:,} GPU rollup rows)"
    )
    settings = load_settings(None)
    week = last_complete_week(NOW, settings.tz)
    holder: dict = {}

    def run() -> None:
        digest = build_digest(database, settings, week, now=NOW)
        digest_text(digest.data)
        digest_blocks(digest.data)
        holder["data"] = digest.data

    return _timed(run, repeat), holder["data"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--long-days", type=int, default=365)
    parser.add_argument("--short-days", type=int, default=30)
    parser.add_argument("--profile", default="fleet")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for days in (args.short_days, args.long_days):
            url = args.database_url or f"sqlite:///{Path(folder) / f'bench-{days}.db'}"
            database = open_database(url)
            try:
                results[days] = _digest_time(database, days, args.profile, args.repeat)
            finally:
                database.dispose()
    short_time, data = results[args.short_days]
    long_time, _ = results[args.long_days]
    chart_time = _timed(lambda: render_digest_chart(data), args.repeat)
    ratio = long_time / short_time
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"digest {data['week']}, {args.profile} profile, median of {args.repeat}:")
    print(f"  {args.short_days:>4} days of history: {short_time * 1000:8.1f} ms")
    print(f"  {args.long_days:>4} days of history: {long_time * 1000:8.1f} ms")
    print(f"  ratio {ratio:.2f} (target <= {TARGET_RATIO}): {verdict}")
    print(f"  chart render: {chart_time * 1000:.1f} ms")


if __name__ == "__main__":
    main()
