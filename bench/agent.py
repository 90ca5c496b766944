"""Benchmark: CPU time of one ``golocal agent`` sample of 8 GPUs, and of rendering it.

NVML is scripted (the same fake the tests use), so this measures golocal's own work per
sample — the per-field NVML calls, unit conversions, clock-event decoding, and the
Prometheus text and JSON renderings — not the driver's. Target: one sample of 8 GPUs well
under 50 ms of CPU. On a machine with GPUs, ``golocal agent --once --json`` prints the real
``sample_ms``.

    .venv/bin/python bench/agent.py [--gpus 8] [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from golocal.jobs.agent import GpuAgent
from golocal.jobs.sources import nvml
from tests.fakes.nvml import ScriptedGpu, install


def _cpu_ms(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        call()
        times.append((time.process_time() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    gpus = [
        ScriptedGpu(uuid=f"GPU-{i:08d}-0000-4000-8000-000000000000", reasons=0x4 if i else 0x1)
        for i in range(args.gpus)
    ]
    with pytest.MonkeyPatch.context() as monkeypatch:
        install(monkeypatch, gpus)
        agent = GpuAgent(host="bench")
        read = _cpu_ms(agent.sample_once, args.repeat)
        sample = agent.latest
        if sample.unavailable or len(sample.gpus) != args.gpus:
            print(f"expected {args.gpus} GPUs, read {len(sample.gpus)}: {sample.unavailable}")
            return 1
        render = _cpu_ms(lambda: (agent.metrics_text(), agent.sample_body()), args.repeat)
        nvml.shutdown()
    for label, times in (("read", read), ("render /metrics + /v1/sample", render)):
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            f"{args.gpus} GPUs, {label}: p50 {statistics.median(times):.2f} ms CPU, "
            f"p95 {p95:.2f} ms CPU"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
