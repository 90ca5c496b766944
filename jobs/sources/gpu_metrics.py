"""GPU samples from Prometheus-style series: dcgm-exporter and ``golocal agent``.

Both a directly scraped ``/metrics`` body and a Prometheus ``query_range`` answer become
:class:`GpuPoint` records (one GPU at one time). Names read:

* NVIDIA dcgm-exporter (tag 4.5.3-4.8.2, ``etc/default-counters.csv``,
  ``internal/pkg/rendermetrics/render_metrics.go``): ``DCGM_FI_DEV_GPU_UTIL`` (%),
  ``DCGM_FI_DEV_MEM_COPY_UTIL`` (%), ``DCGM_FI_DEV_FB_USED``/``_FREE``/``_RESERVED`` (MiB),
  ``DCGM_FI_DEV_POWER_USAGE`` (W), ``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`` (mJ, counter),
  ``DCGM_FI_DEV_GPU_TEMP`` (°C), ``DCGM_FI_DEV_SM_CLOCK`` (MHz); labels ``gpu``, ``UUID``
  (``uuid`` with the old namespace), ``modelName``, ``Hostname`` (``hostname`` on main since
  #655) — both spellings accepted.
  MIG instances (``docs/`` "MIG support") carry ``GPU_I_ID`` and ``GPU_I_PROFILE`` beside
  their parent's ``UUID``: each instance is its own device (``<UUID>/gi<GPU_I_ID>``), never
  merged into its parent or a sibling. An instance has no ``DCGM_FI_DEV_GPU_UTIL``; its
  ``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` (a ratio) stands in. Clock-event reasons are the bitmask
  ``DCGM_FI_DEV_CLOCKS_EVENT_REASONS`` (``DCGM_FI_DEV_CLOCK_THROTTLE_REASONS`` before DCGM
  3.3), decoded with NVML's bits: a sample is throttled when a power, thermal, slowdown,
  board-limit or reliability bit is set (idle, clock settings and SyncBoost are not).
* ``golocal agent``: the ``golocal_gpu_*`` families below, labels ``gpu``, ``uuid``,
  ``name``, ``host`` (and ``parent_uuid``, ``mig_profile`` for a MIG device). A Prometheus
  fleet reads these series as well as dcgm-exporter's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from golocal.jobs.sources.nvml import THROTTLE_MASK

MIB = 1024 * 1024

#: ``golocal agent`` family names (without ``_total``) and their help texts.
AGENT_GAUGES: dict[str, str] = {
    "golocal_gpu_utilization_percent": "GPU utilisation (percent of time a kernel ran)",
    "golocal_gpu_memory_utilization_percent": "Memory controller utilisation (percent)",
    "golocal_gpu_memory_used_bytes": "Framebuffer memory used",
    "golocal_gpu_memory_total_bytes": "Framebuffer memory total",
    "golocal_gpu_memory_reserved_bytes": "Framebuffer memory reserved by the driver",
    "golocal_gpu_power_watts": "Power draw",
    "golocal_gpu_power_limit_watts": "Enforced power limit",
    "golocal_gpu_temperature_celsius": "GPU temperature",
    "golocal_gpu_sm_clock_mhz": "SM clock",
    "golocal_gpu_memory_clock_mhz": "Memory clock",
    "golocal_gpu_throttled": "1 when a power/thermal/slowdown clock-event reason is active",
    "golocal_gpu_lost": "1 when NVML reports the GPU lost",
    "golocal_gpu_processes": "Compute processes on the GPU",
}
AGENT_ENERGY = "golocal_gpu_energy_joules"

# sample name -> (GpuPoint field, factor to golocal's unit)
_FIELDS: dict[str, tuple[str, float]] = {
    "DCGM_FI_DEV_GPU_UTIL": ("util_percent", 1.0),
    "DCGM_FI_DEV_MEM_COPY_UTIL": ("mem_util_percent", 1.0),
    "DCGM_FI_DEV_FB_USED": ("mem_used_mib", 1.0),
    "DCGM_FI_DEV_FB_FREE": ("mem_free_mib", 1.0),
    "DCGM_FI_DEV_FB_RESERVED": ("mem_reserved_mib", 1.0),
    "DCGM_FI_DEV_POWER_USAGE": ("power_w", 1.0),
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": ("energy_j", 1e-3),
    # prometheus-client's text parser names a counter's samples ``<family>_total``
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION_total": ("energy_j", 1e-3),
    "DCGM_FI_DEV_GPU_TEMP": ("temperature_c", 1.0),
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": ("gr_active_percent", 100.0),
    "DCGM_FI_DEV_CLOCKS_EVENT_REASONS": ("clock_reasons", 1.0),
    "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS": ("clock_reasons", 1.0),
    "golocal_gpu_utilization_percent": ("util_percent", 1.0),
    "golocal_gpu_memory_utilization_percent": ("mem_util_percent", 1.0),
    "golocal_gpu_memory_used_bytes": ("mem_used_mib", 1 / MIB),
    "golocal_gpu_memory_total_bytes": ("mem_total_mib", 1 / MIB),
    "golocal_gpu_memory_reserved_bytes": ("mem_reserved_mib", 1 / MIB),
    "golocal_gpu_power_watts": ("power_w", 1.0),
    "golocal_gpu_power_limit_watts": ("power_limit_w", 1.0),
    f"{AGENT_ENERGY}_total": ("energy_j", 1.0),
    "golocal_gpu_temperature_celsius": ("temperature_c", 1.0),
    "golocal_gpu_throttled": ("throttled", 1.0),
    "golocal_gpu_lost": ("lost", 1.0),
}
#: The dcgm-exporter series a Prometheus fleet is asked for.
DCGM_SERIES = tuple(
    name for name in _FIELDS if name.startswith("DCGM_") and not name.endswith("_total")
)
#: ... and the ``golocal agent`` series, scraped by the same Prometheus.
AGENT_SERIES = tuple(name for name in _FIELDS if name.startswith("golocal_gpu_"))
FLEET_GPU_SERIES = DCGM_SERIES + AGENT_SERIES


@dataclass(frozen=True, slots=True)
class GpuPoint:
    """One GPU at one time, in golocal's units; ``None`` = not reported."""

    host: str
    index: int
    uuid: str
    at: float
    name: str = ""
    #: a MIG instance: its physical GPU's UUID and its profile (``3g.40gb``); "" otherwise
    parent_uuid: str = ""
    mig_profile: str = ""
    util_percent: float | None = None
    #: DCGM's graphics-engine activity (%), where GPU_UTIL is not reported (MIG instances)
    gr_active_percent: float | None = None
    mem_util_percent: float | None = None
    mem_used_mib: float | None = None
    mem_free_mib: float | None = None
    mem_reserved_mib: float | None = None
    mem_total_mib: float | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    #: cumulative energy counter (J)
    energy_j: float | None = None
    temperature_c: float | None = None
    throttled: float | None = None
    lost: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def memory_total_mib(self) -> float | None:
        """Total framebuffer: reported, or used + free (+ reserved) from dcgm-exporter."""
        if self.mem_total_mib is not None:
            return self.mem_total_mib
        if self.mem_used_mib is None or self.mem_free_mib is None:
            return None
        return self.mem_used_mib + self.mem_free_mib + (self.mem_reserved_mib or 0.0)


@dataclass(frozen=True, slots=True)
class GpuIdentity:
    """Which device a series is about: a whole GPU, or one MIG instance of one."""

    host: str
    index: int
    uuid: str
    name: str
    parent_uuid: str = ""
    mig_profile: str = ""


def gpu_identity(labels: Mapping[str, str], default_host: str) -> GpuIdentity:
    """The device from either label spelling (dcgm-exporter's or ``golocal agent``'s)."""
    host = labels.get("Hostname") or labels.get("hostname") or labels.get("host") or default_host
    uuid = labels.get("UUID") or labels.get("uuid") or ""
    name = labels.get("modelName") or labels.get("name") or ""
    try:
        index = int(labels.get("gpu", "0"))
    except ValueError:
        index = 0
    instance = labels.get("GPU_I_ID") or ""
    if instance:  # dcgm-exporter: the parent's UUID plus the GPU instance id
        profile = labels.get("GPU_I_PROFILE") or ""
        return GpuIdentity(host, index, f"{uuid}/gi{instance}", name, uuid, profile)
    parent = labels.get("parent_uuid") or ""
    if parent:  # golocal agent: the MIG device's own UUID
        return GpuIdentity(host, index, uuid, name, parent, labels.get("mig_profile") or "")
    return GpuIdentity(host, index, uuid, name)


class PointBuilder:
    """Collects (series, time, value) triples into :class:`GpuPoint` records."""

    def __init__(self, default_host: str) -> None:
        self.default_host = default_host
        # a point's fields as they arrive: one GpuPoint per point is made at the end (a
        # fleet read is millions of samples; a frozen record per sample would dominate it)
        self.points: dict[tuple[str, int, str, float], dict[str, Any]] = {}

    def add(self, sample_name: str, labels: Mapping[str, str], at: float, value: float) -> None:
        """Record one value; NaN means "no data" and is skipped (never 0)."""
        spec = _FIELDS.get(sample_name)
        if spec is not None:
            self.put(spec, gpu_identity(labels, self.default_host), at, value)

    def put(self, spec: tuple[str, float], who: GpuIdentity, at: float, value: float) -> None:
        """Record one value of a known field (``_FIELDS``) of device ``who``."""
        if math.isnan(value) or math.isinf(value):
            return
        field_name, factor = spec
        if field_name == "clock_reasons":
            if value < 0 or value >= 2**64:
                return  # not a bitmask
            field_name, value = "throttled", float(bool(int(value) & THROTTLE_MASK))
        key = (who.host, who.index, who.uuid, at)
        fields = self.points.get(key)
        if fields is None:
            fields = self.points[key] = {
                "name": "", "parent_uuid": who.parent_uuid, "mig_profile": who.mig_profile,
            }  # fmt: skip
        if who.name and not fields["name"]:
            fields["name"] = who.name
        fields[field_name] = value * factor

    def result(self) -> list[GpuPoint]:
        points = []
        for (host, index, uuid, at), fields in self.points.items():
            if fields.get("util_percent") is None and fields.get("gr_active_percent") is not None:
                fields["util_percent"] = fields["gr_active_percent"]
            points.append(GpuPoint(host=host, index=index, uuid=uuid, at=at, **fields))
        return sorted(points, key=lambda p: (p.host, p.index, p.uuid, p.at))


def parse_gpu_metrics(text: str, *, at: float, default_host: str) -> list[GpuPoint]:
    """GPU points from a dcgm-exporter or ``golocal agent`` ``/metrics`` body.

    Unknown families are ignored, in any order. Raises ``ValueError`` for a body that is
    not Prometheus text.
    """
    builder = PointBuilder(default_host)
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                builder.add(sample.name, sample.labels, at, sample.value)
    except OverflowError:  # a 400-digit sample value: not a number a GPU reports
        raise ValueError("a sample value is out of range") from None
    return builder.result()


def points_from_matrix(
    series: Iterable[tuple[str, Mapping[str, str], Iterable[tuple[float, float]]]],
    *,
    default_host: str,
) -> list[GpuPoint]:
    """GPU points from query_range series: (metric name, labels, [(time, value), ...])."""
    builder = PointBuilder(default_host)
    for name, labels, values in series:
        spec = _FIELDS.get(name)
        if spec is None:
            continue
        who = gpu_identity(labels, default_host)  # once per series, not per sample
        for at, value in values:
            builder.put(spec, who, at, value)
    return builder.result()
