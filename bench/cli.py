"""Benchmark: how long the ``golocal`` command takes to start, against a bare interpreter.

Runs each command ``--repeat`` times as a fresh process (as a user would) and prints the
median wall time of:

* ``python -c pass``: the baseline, the interpreter alone, measured in the same run;
* ``golocal --help``;
* ``golocal ask "how many requests per day?"`` on a SQLite database holding the team demo
  (30 days, generated once into a temporary directory before timing).

and the ratio of each to the baseline. Targets (on a 2-core machine): ``--help`` <= 0.25 s,
``ask`` <= 0.6 s. The runs are interleaved so a busy neighbour slows all three alike.

    .venv/bin/python bench/cli.py [--repeat 15] [--db-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "how many requests per day?"
TARGETS_S = {"golocal --help": 0.25, f'golocal ask "{QUESTION}"': 0.6}


def golocal_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m golocal``."""
    script = Path(sys.executable).with_name("golocal")
    return [str(script)] if script.exists() else [sys.executable, "-m", "golocal"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run; a failing command stops the benchmark."""
    started = time.perf_counter()
    completed = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({completed.returncode}): {completed.stderr}")
    return elapsed


def prepare_team_demo(folder: Path, env: dict[str, str]) -> None:
    """Load the team demo into ``folder``'s database unless it is already there."""
    if (folder / "golocal.db").exists():
        return
    started = time.perf_counter()
    subprocess.run([*golocal_command(), "demo", "--profile", "team"], env=env, check=True)
    print(f"(team demo loaded in {time.perf_counter() - started:.1f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--db-dir", type=Path, help="Keep the team demo database here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.db_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("GOLOCAL_", "SLACK_"))
        }
        env |= {"GOLOCAL_DATA_DIR": str(folder), "XDG_STATE_HOME": str(folder / "state")}
        prepare_team_demo(folder, env)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "golocal --help": [*golocal_command(), "--help"],
            f'golocal ask "{QUESTION}"': [*golocal_command(), "ask", QUESTION],
        }
        for argv_ in commands.values():  # warm the file cache and .pyc files once
            timed(argv_, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, argv_ in commands.items():
                samples[name].append(timed(argv_, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["python -c pass"]
    print(f"median of {args.repeat} runs each, on {os.cpu_count()} CPUs:")
    met = True
    for name, median in medians.items():
        line = f"  {name:<44} {median * 1000:7.0f} ms"
        if name in TARGETS_S:
            target = TARGETS_S[name]
            ok = median <= target
            met &= ok
            line += f"  {median / baseline:5.1f}x baseline  target <= {target:.2f} s: "
            line += "met" if ok else "NOT met"
        else:
            line += "  (baseline)"
        print(line)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
