"""NVIDIA dcgm-exporter ``/metrics`` and a Prometheus server holding its series.

* dcgm-exporter, tag 4.5.3-4.8.2: families from ``etc/default-counters.csv``, labels in the
  order of ``internal/pkg/rendermetrics/render_metrics.go`` (``gpu``, ``UUID``,
  ``pci_bus_id``, ``device``, ``modelName``, ``Hostname``, then ``DCGM_FI_DRIVER_VERSION``);
  main after #655 spells ``hostname``. Family order is Go map order, i.e. any order.
* Prometheus ``/api/v1/query_range`` (prometheus/prometheus ``docs/querying/api.md``,
  d15adb9): ``{"status": "success", "data": {"resultType": "matrix", "result": [...]}}`` with
  string sample values, ``warnings`` optional; errors ``{"status": "error", "errorType",
  "error"}`` with HTTP 400 (``bad_data``), 422 (``execution``) or 503 (``timeout``,
  ``unavailable``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tests.fakes.server import Reply, Request, json_reply


@dataclass
class DcgmGpu:
    gpu: int
    uuid: str
    host: str = "node1"
    model: str = "NVIDIA H100 80GB HBM3"
    util: float = 50.0
    fb_used: float = 40000.0
    fb_free: float = 40000.0
    fb_reserved: float = 559.0
    power: float = 350.5
    energy_mj: float = 4.821033e10
    temp: float = 61.0


FAMILIES = {
    "DCGM_FI_DEV_GPU_UTIL": ("gauge", "GPU utilization (in %).", "util"),
    "DCGM_FI_DEV_FB_USED": ("gauge", "Framebuffer memory used (in MiB).", "fb_used"),
    "DCGM_FI_DEV_FB_FREE": ("gauge", "Framebuffer memory free (in MiB).", "fb_free"),
    "DCGM_FI_DEV_FB_RESERVED": ("gauge", "Framebuffer memory reserved (in MiB).", "fb_reserved"),
    "DCGM_FI_DEV_POWER_USAGE": ("gauge", "Power draw (in W).", "power"),
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": (
        "counter",
        "Total energy consumption since boot (in mJ).",
        "energy_mj",
    ),
    "DCGM_FI_DEV_GPU_TEMP": ("gauge", "GPU temperature (in C).", "temp"),
}
UNKNOWN = (
    "# HELP DCGM_FI_DEV_PCIE_REPLAY_COUNTER Total number of PCIe retries.\n"
    "# TYPE DCGM_FI_DEV_PCIE_REPLAY_COUNTER counter\n"
    'DCGM_FI_DEV_PCIE_REPLAY_COUNTER{gpu="0",UUID="x",Hostname="node1"} 0\n'
    "# HELP DCGM_FI_PROF_PIPE_TENSOR_ACTIVE Ratio of cycles the tensor pipe is active.\n"
    "# TYPE DCGM_FI_PROF_PIPE_TENSOR_ACTIVE gauge\n"
    'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE{gpu="0",UUID="x",Hostname="node1"} 0.412\n'
)


def _labels(gpu: DcgmGpu, host_label: str) -> str:
    return (
        f'gpu="{gpu.gpu}",UUID="{gpu.uuid}",pci_bus_id="00000000:{0x18 + gpu.gpu:02X}:00.0",'
        f'device="nvidia{gpu.gpu}",modelName="{gpu.model}",{host_label}="{gpu.host}",'
        'DCGM_FI_DRIVER_VERSION="580.95.05"'
    )


def dcgm_metrics(
    gpus: list[DcgmGpu], *, host_label: str = "Hostname", shuffle_seed: int | None = None
) -> str:
    """A dcgm-exporter body; ``shuffle_seed`` puts families (and unknown ones) in any order."""
    blocks = [UNKNOWN]
    for name, (kind, help_text, attr) in FAMILIES.items():
        lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        lines += [f"{name}{{{_labels(g, host_label)}}} {getattr(g, attr)}" for g in gpus]
        blocks.append("\n".join(lines) + "\n")
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(blocks)
    return "".join(blocks)


def matrix(result: list[dict[str, object]], warnings: list[str] | None = None) -> Reply:
    payload: dict[str, object] = {
        "status": "success",
        "data": {"resultType": "matrix", "result": result},
    }
    if warnings:
        payload["warnings"] = warnings
    return json_reply(payload)


def prometheus_error(error_type: str, message: str, status: int) -> Reply:
    return json_reply({"status": "error", "errorType": error_type, "error": message}, status=status)


def query_range_handler(
    values: Mapping[str, Callable[[float], str]],
    gpus: list[DcgmGpu],
    *,
    host_label: str = "Hostname",
    warnings: list[str] | None = None,
) -> Callable[[Request], Reply]:
    """Answer ``query_range`` for raw DCGM series: ``values[name](t)`` is the string value.

    Understands a bare series name, a ``{__name__=~"…", instance=~"…"}`` selector and the
    per-instance series count golocal's batched fleet reads start with.
    """

    def handle(request: Request) -> Reply:
        query = request.params["query"][0]
        start, end = float(request.params["start"][0]), float(request.params["end"][0])
        step = float(request.params["step"][0])
        times = []
        t = start
        while t <= end:
            times.append(t)
            t += step
        discovery = _DISCOVERY.fullmatch(query)
        if discovery is not None:  # series per instance
            names, instances = _selected(discovery.group(1), values)
            counts: dict[str, int] = {}
            for g in gpus:
                if instances(_instance(g)):
                    counts[_instance(g)] = counts.get(_instance(g), 0) + len(names)
            return matrix(
                [
                    {"metric": {"instance": i}, "values": [[round(t, 3), str(n)] for t in times]}
                    for i, n in counts.items()
                    if n
                ],
                warnings,
            )
        if query.startswith("{"):  # {__name__=~"a|b", instance=~"x|y"}
            names, instances = _selected(query, values)
        else:
            names, instances = ([query] if query in values else []), (lambda _i: True)
        result = [
            {
                "metric": {
                    "__name__": name,
                    "gpu": str(g.gpu),
                    "UUID": g.uuid,
                    "modelName": g.model,
                    host_label: g.host,
                    "instance": _instance(g),
                    "job": "dcgm",
                },
                "values": [[round(t, 3), values[name](t)] for t in times],
            }
            for name in names
            for g in gpus
            if instances(_instance(g))
        ]
        return matrix(result, warnings)

    return handle


# The two query shapes golocal's batched fleet reads send besides bare names (selector
# syntax: prometheus/prometheus docs/querying/basics.md).
_DISCOVERY = re.compile(r"count by \(instance\) \((\{.*\})\)")
_MATCHER = re.compile(r'(\w+)=~"((?:[^"\\]|\\.)*)"')


def _instance(gpu: DcgmGpu) -> str:
    return f"{gpu.host}:9400"


def _selected(
    selector: str, values: Mapping[str, Callable[[float], str]]
) -> tuple[list[str], Callable[[str], bool]]:
    """The value names a ``{__name__=~…, instance=~…}`` selector picks, and its instance test."""
    patterns = {
        label: re.compile(re.sub(r"\\(.)", r"\1", literal))
        for label, literal in _MATCHER.findall(selector)
    }
    name_pattern = patterns.get("__name__")
    names = [n for n in values if name_pattern is None or name_pattern.fullmatch(n)]
    instance_pattern = patterns.get("instance")
    return names, lambda i: instance_pattern is None or bool(instance_pattern.fullmatch(i))
