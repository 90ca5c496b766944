"""MIG instances' utilisation through NVML's GPM (GPU Performance Monitoring) interface.

``nvmlDeviceGetUtilizationRates`` answers NotSupported on a MIG device handle, so a MIG
instance's activity is read as NVML's reference ("GPM Functions", docs.nvidia.com/deploy/
nvml-api/group__nvmlGpmFunctions.html) describes it: on a GPU whose
``nvmlGpmQueryDeviceSupport`` says ``isSupportedDevice`` (Hopper or newer), allocate two
sample buffers per instance (``nvmlGpmSampleAlloc``), fill the first with
``nvmlGpmMigSampleGet(parent GPU handle, GPU instance id, sample)``, wait more than the
100 ms GPM refresh interval, fill the second, and let ``nvmlGpmMetricsGet`` compute
``NVML_GPM_METRIC_GRAPHICS_UTIL`` and ``NVML_GPM_METRIC_DRAM_BW_UTIL`` (percent) from the
pair; then free the buffers. Every instance of every GPU is sampled in one window, so a
read waits once, not once per instance. Anything NVML will not answer (no GPM on the GPU, a
driver without the symbols, a per-metric error) leaves the figure unknown (``None``), never 0.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

#: NVML refreshes GPM counters every 100 ms: two samples closer than that measure nothing
GPM_INTERVAL_S = 0.2


@dataclass(frozen=True, slots=True)
class MigInstance:
    """One MIG instance to sample: its parent GPU's handle and its GPU instance id."""

    parent: Any
    gpu_instance_id: int


@dataclass(frozen=True, slots=True)
class MigUtilisation:
    """Percent busy (graphics/compute engines) and DRAM bandwidth used; ``None`` = unknown."""

    util_percent: float | None = None
    mem_util_percent: float | None = None


UNKNOWN = MigUtilisation()


def gpm_supported(pynvml: ModuleType, handle: Any) -> bool:
    """Whether the GPU behind ``handle`` supports GPM (an error or no symbol means no)."""
    try:
        return bool(pynvml.nvmlGpmQueryDeviceSupport(handle).isSupportedDevice)
    except pynvml.NVMLError as exc:
        log.debug("GPM support query failed: %s", exc)
        return False


def sample_mig_utilisation(
    pynvml: ModuleType, instances: list[MigInstance], interval_s: float = GPM_INTERVAL_S
) -> list[MigUtilisation]:
    """Utilisation of each instance over one window (``UNKNOWN`` where NVML cannot say)."""
    if not instances:
        return []
    samples: list[Any] = []
    try:
        pairs = [(_alloc(pynvml, samples), _alloc(pynvml, samples)) for _ in instances]
        first = [_fill(pynvml, i, pair[0]) for i, pair in zip(instances, pairs, strict=True)]
        time.sleep(interval_s)
        second = [_fill(pynvml, i, pair[1]) for i, pair in zip(instances, pairs, strict=True)]
        return [
            _metrics(pynvml, pair) if ok1 and ok2 else UNKNOWN
            for pair, ok1, ok2 in zip(pairs, first, second, strict=True)
        ]
    except pynvml.NVMLError as exc:  # no buffer could be allocated: nothing to measure
        log.debug("GPM sample allocation failed: %s", exc)
        return [UNKNOWN] * len(instances)
    finally:
        for sample in samples:
            try:
                pynvml.nvmlGpmSampleFree(sample)
            except pynvml.NVMLError:
                log.debug("nvmlGpmSampleFree failed", exc_info=True)


def _alloc(pynvml: ModuleType, samples: list[Any]) -> Any:
    sample = pynvml.nvmlGpmSampleAlloc()
    samples.append(sample)  # freed in the caller's ``finally``, whatever happens next
    return sample


def _fill(pynvml: ModuleType, instance: MigInstance, sample: Any) -> bool:
    try:
        pynvml.nvmlGpmMigSampleGet(instance.parent, instance.gpu_instance_id, sample)
    except pynvml.NVMLError as exc:
        log.debug("nvmlGpmMigSampleGet failed: %s", exc)
        return False
    return True


def _metrics(pynvml: ModuleType, pair: tuple[Any, Any]) -> MigUtilisation:
    request = pynvml.c_nvmlGpmMetricsGet_t()
    request.version = pynvml.NVML_GPM_METRICS_GET_VERSION
    request.numMetrics = 2
    request.sample1, request.sample2 = pair
    request.metrics[0].metricId = pynvml.NVML_GPM_METRIC_GRAPHICS_UTIL
    request.metrics[1].metricId = pynvml.NVML_GPM_METRIC_DRAM_BW_UTIL
    try:
        pynvml.nvmlGpmMetricsGet(request)
    except pynvml.NVMLError as exc:
        log.debug("nvmlGpmMetricsGet failed: %s", exc)
        return UNKNOWN
    util, dram = (
        float(metric.value) if metric.nvmlReturn == pynvml.NVML_SUCCESS else None
        for metric in request.metrics[:2]
    )
    return MigUtilisation(util_percent=util, mem_util_percent=dram)
