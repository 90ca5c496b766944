"""Scripted NVML: patches the real ``pynvml`` module's functions per test scenario.

MIG (NVML docs "Multi-Instance GPU Management"): a GPU in MIG mode answers
``nvmlDeviceGetMigMode`` with ``[1, 1]`` and its utilisation query with NotSupported; its
MIG slots (``nvmlDeviceGetMaxMigDeviceCount``, 7 on an A100/H100) hold device handles or
answer NotFound; a MIG device is named ``<GPU name> MIG <profile>``.

The exceptions are nvidia-ml-py's own (``pynvml.NVMLError(code)`` builds the
``NVMLError_<Name>`` subclass, as in nvidia-ml-py 13.615.71 ``pynvml.py``), so the code
under test catches exactly what it would catch on a real machine.
"""

from __future__ import annotations

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


def _answer(value: Any, gpu: ScriptedGpu) -> Any:
    if gpu.lost:
        raise pynvml.NVMLError(GPU_IS_LOST)
    if isinstance(value, int) and value in (NOT_SUPPORTED, GPU_IS_LOST) and value < 100:
        raise pynvml.NVMLError(value)
    return value


def install(
    monkeypatch: pytest.MonkeyPatch,
    gpus: list[ScriptedGpu],
    *,
    init_error: int | None = None,
    calls: list[str] | None = None,
) -> list[str]:
    """Make ``pynvml`` answer for ``gpus``; ``init_error`` makes ``nvmlInit`` raise it."""
    log = [] if calls is None else calls

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
    }
    for name, function in patches.items():
        monkeypatch.setattr(pynvml, name, function)
    return log
