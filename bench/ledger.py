"""Benchmark: reading the ledger (billed wins, allocation, per-day request estimates) against
the plain SQL per-day aggregate it replaced, over a week, a month and a quarter, in one run.

    .venv/bin/python bench/ledger.py [--days 120] [--profile team] [--repeat 5]

The demo data are written to a temporary SQLite file (not timed); a cost report is added for
every other day so that allocation does real work. Prints the medians and the ratio of the
ledger to the baseline (`source_days`, one GROUP BY) for each window, and the spend
breakdown by team on top.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from golocal.config.settings import load_settings
from golocal.db.costs import upsert_cost_lines
from golocal.db.database import open_database
from golocal.db.usage import source_days
from golocal.jobs.demo import DemoOptions, generate_demo
from golocal.jobs.ledger_read import ledger_volume_report, load_ledger
from golocal.jobs.showback import spend_by

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def _median(run, repeat: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--profile", default="team")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings(None)
    with tempfile.TemporaryDirectory() as folder:
        database = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        started = time.perf_counter()
        generate_demo(
            database, DemoOptions(days=args.days, profile=args.profile, minute_days=1), now=NOW
        )
        today = NOW.date()
        bills = []
        for back in range(1, args.days, 2):
            day = today - timedelta(days=back)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            for source in ("demo:openai", "demo:anthropic"):
                bills.append(
                    {"source": source, "provider": source.split(":")[1], "bucket_start": start,
                     "bucket_seconds": 86400, "line_item": "usage", "amount": Decimal("9.99"),
                     "collected_at": NOW}
                )  # fmt: skip
        upsert_cost_lines(database, bills)
        print(
            f"demo data: {args.days} days, {args.profile} ({time.perf_counter() - started:.1f} s)"
        )
        print(
            f"{'window':>8} {'baseline ms':>12} {'ledger ms':>10} {'ratio':>6} {'by team ms':>11}"
        )
        for days in (7, 30, 90):
            since, until = today - timedelta(days=days), today
            base = _median(lambda s=since, u=until: source_days(database, s, u), args.repeat)

            def ledger(s=since, u=until) -> None:
                ledger_volume_report(load_ledger(database, settings, s, u), settings)

            def team(s=since, u=until) -> None:
                spend_by(load_ledger(database, settings, s, u), "team")

            full = _median(ledger, args.repeat)
            by_team = _median(team, args.repeat)
            print(
                f"{days:>7}d {base * 1000:>12.1f} {full * 1000:>10.1f} {full / base:>6.1f}"
                f" {by_team * 1000:>11.1f}"
            )
        database.dispose()


if __name__ == "__main__":
    main()
