"""Benchmark: reading a chat question (screening, keywords, typos, near-misses, names).

Times, per question of the phrasing corpus (tests/bot/chat_corpus.py) and over ``--repeat``
rounds, in this process:

* the baseline: one compiled regular expression searched over the question (what the
  simplest keyword bot costs), measured in the same run;
* ``screen`` + ``recognise``: the whole reading, typo correction and fuzzy phrases included;
* the same for the corpus questions no keyword matches (the slow path).

and prints p50/p95 in microseconds and the ratio of each to the baseline. No handler runs and
no database is read: this is the cost of understanding, not of answering.

    .venv/bin/python bench/recognise.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from golocal.bot.recognise import keyword_intent, normalise, recognise
from golocal.bot.screening import screen
from tests.bot.chat_corpus import CORPUS

BASELINE = re.compile(r"\b(?:spend|requests?|gpus?|tokens?|latency|models?)\b", re.IGNORECASE)


def timed(function, questions: list[str], repeat: int) -> list[float]:
    """Microseconds per call, every question ``repeat`` times (after one warm-up round)."""
    for question in questions:
        function(question)
    samples = []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            function(question)
            samples.append((time.perf_counter() - started) * 1e6)
    return samples


def read(question: str) -> object:
    screened = screen(question)
    return None if screened.problem else recognise(screened.question)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    questions = [question for question, _intent, _expected in CORPUS]
    slow = [q for q in questions if keyword_intent(normalise(q)) is None]
    rows = {
        "baseline: one regex search": timed(BASELINE.search, questions, args.repeat),
        "screen + recognise (corpus)": timed(read, questions, args.repeat),
        "screen + recognise (no keyword)": timed(read, slow, args.repeat),
    }
    base = statistics.median(rows["baseline: one regex search"])
    print(
        f"{len(questions)} corpus questions ({len(slow)} without a keyword), {args.repeat} rounds"
    )
    for name, samples in rows.items():
        p50 = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20)[18]
        print(f"{name:34} p50 {p50:9.1f} µs  p95 {p95:9.1f} µs  ×{p50 / base:,.0f} baseline")


if __name__ == "__main__":
    main()
