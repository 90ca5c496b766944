"""Scripted NVML: patches the real ``pynvml`` module's functions per test scenario.

MIG (NVML docs "Multi-Instance GPU Management"): a GPU in MIG mode answers
``nvmlDeviceGetMigMode`` with ``[1, 1]`` and its utilisation query with NotSupported; its
MIG slots (``nvmlDeviceGetMaxMigDeviceCount``, 7 on an A100/H100) hold device handles or
answer NotFound; a MIG device is named ``<GPU name> MIG <profile>``.

GPM (NVML API reference "GPM Functions",
https://docs.nvidia.com/deploy/nvml-api/group__nvmlGpmFunctions.html, and nvidia-ml-py's
``nvmlGpm*`` wrappers and ``c_nvmlGpm*`` structures): ``nvmlGpmQueryDeviceSupport`` returns
a ``c_nvmlGpmSupport_t`` whose ``isSupportedDevice`` is 1 on Hopper or newer, 0 before (an
A100 answers 0, a driver without the symbol raises FunctionNotFound);
``nvmlGpmSampleAlloc`` returns an opaque ``c_nvmlGpmSample_t`` pointer;
``nvmlGpmMigSampleGet(parent GPU handle, GPU instance id, sample)`` fills it for one MIG
instance; ``nvmlGpmMetricsGet`` takes a ``c_nvmlGpmMetricsGet_t`` holding two filled
samples, taken in order, and sets each requested ``metrics[i].value`` (percent) and
``metrics[i].nvmlReturn``; ``nvmlGpmSampleFree`` releases a buffer. The fake scripts, per MIG
instance, what the metrics come to between its two samples, and keeps the live buffers so a
test can see that none leaks.

The exceptions are nvidia-ml-py's own (``pynvml.NVMLError(code)`` builds the
``NVMLError_<Name>`` subclass, as in nvidia-ml-py 13.615.71 ``pynvml.py``), so the code
under test catches exactly what it would catch on a real machine.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pynvml
import pytest

NOT_SUPPORTED = pynvml.NVML_ERROR_NOT_SUPPORTED
GPU_IS_LOST = pynvml.NVML_ERROR_GPU_IS_LOST


@dataclass
class ScriptedGpu:
    """What one GPU answers; a field set to an NVML error code raises that error."""

    name: str = "NVIDIA H100 80GB HBM3"
    uuid: str = "GPU-00000000-0000-4000-8000-000000000000"
    util: Any = (87, 41)
    memory: Any = (85_899_345_920, 60_129_542_144, 536_870_912)  # total, used, reserved
    memory_v2: bool = True
    power_mw: Any = 512_345
    limit_mw: Any = 700_000
    energy_mj: Any = 4_821_033_000
    temperature: Any = 67
    clocks: Any = (1980, 2619)
    reasons: Any = 0x4
    processes: Any = field(default_factory=lambda: [(4242, 42 * 1024**3), (4343, None)])
    lost: bool = False
    #: a driver before R535: no nvmlDeviceGetCurrentClocksEventReasons symbol
    old_driver: bool = False
    #: MIG mode on: the devices in the GPU's MIG slots (``None`` for an empty slot)
    mig: list[ScriptedGpu | None] | None = None
    #: a GPU: whether GPM is supported (an NVML error code makes the query raise it)
    gpm_supported: Any = False
    #: a MIG device: its GPU instance id, and what GPM measures for it between two samples,
    #: (graphics %, DRAM bandwidth %); an error code makes the sample raise it, and an error
    #: code in place of one figure is that metric's ``nvmlReturn``
    gpu_instance_id: int = 0
    gpm: Any = (0.0, 0.0)


@dataclass
class GpmSamples:
    """The fake's GPM sample buffers: id -> (instance, order filled) while allocated."""

    live: dict[int, tuple[ScriptedGpu, int] | None] = field(default_factory=dict)
    allocated: int = 0
    fills: int = 0
    #: the ctypes buffers behind the opaque pointers, kept alive for the whole test
    buffers: list[Any] = field(default_factory=list)

    def alloc(self) -> Any:
        self.allocated += 1
        buffer = ctypes.c_uint64(self.allocated)
        self.buffers.append(buffer)
        self.live[self.allocated] = None
        return ctypes.cast(ctypes.pointer(buffer), pynvml.c_nvmlGpmSample_t)

    @staticmethod
    def ident(sample: Any) -> int:
        if not sample:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        return int(ctypes.cast(sample, ctypes.POINTER(ctypes.c_uint64)).contents.value)

    def free(self, sample: Any) -> None:
        if self.live.pop(self.ident(sample), False) is False:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)

    def fill(self, parent: ScriptedGpu, gpu_instance_id: int, sample: Any) -> Any:
        ident = self.ident(sample)
        if ident not in self.live:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        if parent.lost:
            raise pynvml.NVMLError(GPU_IS_LOST)
        if not _gpm_supported(parent):
            raise pynvml.NVMLError(NOT_SUPPORTED)
        matches = [d for d in parent.mig or [] if d and d.gpu_instance_id == gpu_instance_id]
        if not matches:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_FOUND)
        if isinstance(matches[0].gpm, int):
            raise pynvml.NVMLError(matches[0].gpm)
        self.fills += 1
        self.live[ident] = (matches[0], self.fills)
        return sample

    def metrics(self, request: Any) -> Any:
        first = self.live.get(self.ident(request.sample1))
        second = self.live.get(self.ident(request.sample2))
        if (
            request.version != pynvml.NVML_GPM_METRICS_GET_VERSION
            or first is None
            or second is None
            or first[0] is not second[0]
            or first[1] >= second[1]
        ):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        graphics, dram = first[0].gpm
        values = {
            pynvml.NVML_GPM_METRIC_GRAPHICS_UTIL: graphics,
            pynvml.NVML_GPM_METRIC_DRAM_BW_UTIL: dram,
        }
        for metric in request.metrics[: request.numMetrics]:
            value = values.get(metric.metricId, pynvml.NVML_ERROR_NOT_SUPPORTED)
            if isinstance(value, int):
                metric.nvmlReturn, metric.value = value, 0.0
            else:
                metric.nvmlReturn, metric.value = pynvml.NVML_SUCCESS, value
        return request


def _answer(value: Any, gpu: ScriptedGpu) -> Any:
    if gpu.lost:
        raise pynvml.NVMLError(GPU_IS_LOST)
    if isinstance(value, int) and value in (NOT_SUPPORTED, GPU_IS_LOST) and value < 100:
        raise pynvml.NVMLError(value)
    return value


def _gpm_supported(gpu: ScriptedGpu) -> bool:
    if gpu.lost:
        raise pynvml.NVMLError(GPU_IS_LOST)
    if not isinstance(gpu.gpm_supported, bool):  # an NVML error code
        raise pynvml.NVMLError(gpu.gpm_supported)
    return gpu.gpm_supported


def install(
    monkeypatch: pytest.MonkeyPatch,
    gpus: list[ScriptedGpu],
    *,
    init_error: int | None = None,
    calls: list[str] | None = None,
    gpm: GpmSamples | None = None,
) -> list[str]:
    """Make ``pynvml`` answer for ``gpus``; ``init_error`` makes ``nvmlInit`` raise it."""
    log = [] if calls is None else calls
    samples = GpmSamples() if gpm is None else gpm

    def init() -> None:
        log.append("init")
        if init_error is not None:
            raise pynvml.NVMLError(init_error)

    def handle(index: int) -> ScriptedGpu:
        if index >= len(gpus):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        return gpus[index]

    def memory(gpu: ScriptedGpu, version: int | None = None) -> Any:
        value = _answer(gpu.memory, gpu)
        if version is not None and not gpu.memory_v2:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_FUNCTION_NOT_FOUND)
        total, used, reserved = value
        if version is None:
            return SimpleNamespace(total=total, used=used + reserved, free=total - used - reserved)
        return SimpleNamespace(total=total, used=used, reserved=reserved, free=total - used)

    def util(gpu: ScriptedGpu) -> Any:
        value = _answer(gpu.util, gpu)
        return SimpleNamespace(gpu=value[0], memory=value[1])

    def clock(gpu: ScriptedGpu, kind: int) -> Any:
        value = _answer(gpu.clocks, gpu)
        return value[0] if kind == pynvml.NVML_CLOCK_SM else value[1]

    def processes(gpu: ScriptedGpu) -> Any:
        value = _answer(gpu.processes, gpu)
        return [SimpleNamespace(pid=pid, usedGpuMemory=mem) for pid, mem in value]

    def event_reasons(gpu: ScriptedGpu) -> Any:
        if gpu.old_driver:  # pynvml's _nvmlGetFunctionPointer on a driver without the symbol
            raise pynvml.NVMLError(pynvml.NVML_ERROR_FUNCTION_NOT_FOUND)
        return _answer(gpu.reasons, gpu)

    def mig_mode(gpu: ScriptedGpu) -> Any:
        if gpu.mig is None:
            return [pynvml.NVML_DEVICE_MIG_DISABLE, pynvml.NVML_DEVICE_MIG_DISABLE]
        return [pynvml.NVML_DEVICE_MIG_ENABLE, pynvml.NVML_DEVICE_MIG_ENABLE]

    def mig_handle(gpu: ScriptedGpu, slot: int) -> Any:
        device = (gpu.mig or [])[slot] if slot < len(gpu.mig or []) else None
        if device is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_FOUND)
        return device

    def gpm_support(gpu: ScriptedGpu) -> Any:
        support = pynvml.c_nvmlGpmSupport_t()
        support.version = pynvml.NVML_GPM_SUPPORT_VERSION
        support.isSupportedDevice = int(_gpm_supported(gpu))
        return support

    patches = {
        "nvmlInit": init,
        "nvmlShutdown": lambda: log.append("shutdown"),
        "nvmlDeviceGetCount": lambda: len(gpus),
        "nvmlSystemGetDriverVersion": lambda: "580.95.05",
        "nvmlDeviceGetHandleByIndex": handle,
        "nvmlDeviceGetUUID": lambda g: g.uuid,
        "nvmlDeviceGetName": lambda g: g.name,
        "nvmlDeviceGetUtilizationRates": util,
        "nvmlDeviceGetMemoryInfo": memory,
        "nvmlDeviceGetPowerUsage": lambda g: _answer(g.power_mw, g),
        "nvmlDeviceGetEnforcedPowerLimit": lambda g: _answer(g.limit_mw, g),
        "nvmlDeviceGetTotalEnergyConsumption": lambda g: _answer(g.energy_mj, g),
        "nvmlDeviceGetTemperature": lambda g, sensor: _answer(g.temperature, g),
        "nvmlDeviceGetClockInfo": clock,
        "nvmlDeviceGetCurrentClocksEventReasons": event_reasons,
        "nvmlDeviceGetCurrentClocksThrottleReasons": lambda g: _answer(g.reasons, g),
        "nvmlDeviceGetMigMode": mig_mode,
        "nvmlDeviceGetMaxMigDeviceCount": lambda g: 7,
        "nvmlDeviceGetMigDeviceHandleByIndex": mig_handle,
        "nvmlDeviceGetComputeRunningProcesses": processes,
        "nvmlDeviceGetGpuInstanceId": lambda g: _answer(None, g) or g.gpu_instance_id,
        "nvmlGpmQueryDeviceSupport": gpm_support,
        "nvmlGpmSampleAlloc": samples.alloc,
        "nvmlGpmSampleFree": samples.free,
        "nvmlGpmMigSampleGet": samples.fill,
        "nvmlGpmMetricsGet": samples.metrics,
    }
    for name, function in patches.items():
        monkeypatch.setattr(pynvml, name, function)
    return log
