"""Benchmark: the weekly digest on a year of fleet demo data vs on a month, in one run.

The digest reads one week (plus four weeks of trend and the month for the budget), so with
time-indexed queries its cost must not grow with the history kept: the target is a ratio of
at most 1.5 between 365 and 30 days of history. Also prints the chart's render time.

    .venv/bin/python bench/digest.py [--long-days 365] [--short-days 30] [--repeat 5]

Data generation (the slow part, minutes for a year) is not timed; the databases are
temporary SQLite files. Timings are interleaved runs' medians, after one warm-up each.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from golocal.bot.publish import advisor_break_even
from golocal.bot.render.chart import render_digest_chart
from golocal.bot.render.digest import digest_blocks, digest_text
from golocal.bot.services import Services
from golocal.config.settings import Settings, load_settings
from golocal.db.database import Database, open_database
from golocal.jobs.demo import DemoOptions, generate_demo
from golocal.jobs.digest import build_digest, last_complete_week

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
TARGET_RATIO = 1.5


def _generate(database: Database, days: int, profile: str) -> None:
    started = time.perf_counter()
    summary = generate_demo(
        database, DemoOptions(days=days, profile=profile, minute_days=1), now=NOW
    )
    print(
        f"  {days} days of {profile} data generated in {time.perf_counter() - started:.0f} s "
        f"({summary.usage_rows:,} usage buckets, {summary.gpu_rollup_rows:,} GPU rollup rows)"
    )


def _digest_once(database: Database, settings: Settings, week: str) -> tuple[float, dict]:
    """One digest as the scheduled job builds it: with the advisor's break-even, rendered."""
    start = time.perf_counter()
    services = Services(settings, database, clock=lambda: NOW)
    digest = build_digest(
        database, settings, week, now=NOW, break_even=advisor_break_even(services)
    )
    digest_text(digest.data)
    digest_blocks(digest.data)
    return time.perf_counter() - start, digest.data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--long-days", type=int, default=365)
    parser.add_argument("--short-days", type=int, default=30)
    parser.add_argument("--profile", default="fleet")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    settings = load_settings(None)
    week = last_complete_week(NOW, settings.tz)
    spans = (args.short_days, args.long_days)
    with tempfile.TemporaryDirectory() as folder:
        databases = {}
        for days in spans:
            databases[days] = open_database(f"sqlite:///{Path(folder) / f'bench-{days}.db'}")
            _generate(databases[days], days, args.profile)
        times: dict[int, list[float]] = {days: [] for days in spans}
        data: dict = {}
        for days in spans:  # warm-up, not timed
            _digest_once(databases[days], settings, week)
        # interleaved, so background load on the machine hits both sides alike
        for _ in range(args.repeat):
            for days in spans:
                elapsed, data = _digest_once(databases[days], settings, week)
                times[days].append(elapsed)
        for database in databases.values():
            database.dispose()
    short_time = statistics.median(times[args.short_days])
    long_time = statistics.median(times[args.long_days])
    chart_times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        render_digest_chart(data)
        chart_times.append(time.perf_counter() - start)
    ratio = long_time / short_time
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"digest {week}, {args.profile} profile, median of {args.repeat} (interleaved):")
    print(f"  {args.short_days:>4} days of history: {short_time * 1000:8.1f} ms")
    print(f"  {args.long_days:>4} days of history: {long_time * 1000:8.1f} ms")
    print(f"  ratio {ratio:.2f} (target <= {TARGET_RATIO}): {verdict}")
    print(f"  chart render: {statistics.median(chart_times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
