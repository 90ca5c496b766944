"""Run golocal's fuzz targets with many inputs and count the crashes (``--examples N``).

The suite (``tests/test_fuzz.py``) stops at the first crash; this script keeps going and
prints, per target, how many inputs it tried and how many crashed, with the distinct
exception types, e.g.::

    .venv/bin/python scripts/fuzz.py --examples 2000

A crash is any exception other than golocal's own clear errors (see tests/fuzz_targets.py).
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golocal.bot.chat import answer
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.database import open_database
from golocal.jobs.demo import DemoOptions, generate_demo
from tests import fuzz_targets


def fuzz(target: Any, examples: int) -> tuple[int, int, collections.Counter[str]]:
    """Run ``target`` on ``examples`` generated inputs; (inputs, crashes, crash kinds)."""
    counts = {"inputs": 0, "crashes": 0}
    kinds: collections.Counter[str] = collections.Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: Any) -> None:
        counts["inputs"] += 1
        try:
            target(data)
        except Exception as exc:
            counts["crashes"] += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f": {exc}"[:120] if isinstance(exc, AssertionError) else ""
            kinds[
                f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}{detail}"
            ] += 1

    run()
    return counts["inputs"], counts["crashes"], kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="inputs per target")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # collection failures log warnings by design
    work = Path(tempfile.mkdtemp(prefix="golocal-fuzz-"))
    collection_db = open_database(f"sqlite:///{work / 'collect.db'}")
    chat_db = open_database(f"sqlite:///{work / 'chat.db'}")
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    generate_demo(chat_db, DemoOptions(days=14, profile="team"), now=now)
    services = Services(settings=Settings(), database=chat_db, clock=lambda: now)
    providers = fuzz_targets.Providers.build()
    targets: dict[str, Any] = {
        "provider pages (collection)": lambda data: fuzz_targets.collect_mutated_pages(
            data, collection_db, providers
        ),
        "prometheus text": fuzz_targets.parse_prometheus_text,
        "prometheus API": fuzz_targets.parse_prometheus_api,
        "ollama /api/ps": fuzz_targets.parse_ollama,
        "config loader": lambda data: fuzz_targets.load_fuzzed_config(data, work),
        "chat": lambda data: fuzz_targets.ask_fuzzed(data, lambda text: answer(text, services)),
    }
    total_inputs = total_crashes = 0
    for name, target in targets.items():
        inputs, crashes, kinds = fuzz(target, args.examples)
        total_inputs += inputs
        total_crashes += crashes
        print(f"{name}: {inputs:,} inputs, {crashes:,} crashes")
        for kind, count in kinds.most_common():
            print(f"    {count:,} × {kind}")
    print(f"total: {total_inputs:,} inputs, {total_crashes:,} crashes")
    collection_db.dispose()
    chat_db.dispose()


if __name__ == "__main__":
    main()
