"""Local GPUs through NVML: the only module of golocal that imports ``pynvml``.

``pynvml`` comes from NVIDIA's ``nvidia-ml-py`` distribution (read: 13.615.71, ``pynvml.py``).
NVML is initialised lazily, once, under a lock, and shut down at exit. Every query is
wrapped: a field whose query raises ``NVMLError_NotSupported`` (or another per-field NVML
error) is ``None`` and the rest of the GPU is still read; a GPU that raises ``GpuIsLost``
is reported lost while the others are read; a missing library or driver is a normal state
(a laptop, CI) described as "no local GPU telemetry: <reason>", never a crash.

A GPU in MIG mode reports no utilisation of its own: its MIG devices
(``nvmlDeviceGetMaxMigDeviceCount``/``nvmlDeviceGetMigDeviceHandleByIndex``) are read as
devices of their own after it, with their memory; their utilisation, which
``nvmlDeviceGetUtilizationRates`` does not give for a MIG device, is read through GPM on
GPUs that support it (:mod:`golocal.jobs.sources.nvml_gpm`) and is unknown elsewhere.

Drivers before R535 lack ``nvmlDeviceGetCurrentClocksEventReasons``: the older
``nvmlDeviceGetCurrentClocksThrottleReasons`` (same bits) is read instead.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from types import ModuleType
from typing import Any, TypeVar

from .nvml_gpm import MigInstance, gpm_supported, sample_mig_utilisation

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Clock-event reason bits (nvmlClocksEventReason*/nvmlClocksThrottleReason*), decoded by
#: name. GpuIdle means "nothing to do", not a throttle; the two clock-setting bits are an
#: operator's choice; SyncBoost holds GPUs of a sync-boost group at one clock (a policy,
#: not a limit). BoardLimit and Reliability clocks are held down by the board: throttles.
CLOCK_EVENT_REASONS: dict[int, str] = {
    0x1: "GpuIdle",
    0x2: "ApplicationsClocksSetting",
    0x4: "SwPowerCap",
    0x8: "HwSlowdown",
    0x10: "SyncBoost",
    0x20: "SwThermalSlowdown",
    0x40: "HwThermalSlowdown",
    0x80: "HwPowerBrakeSlowdown",
    0x100: "DisplayClockSetting",
    0x200: "BoardLimit",
    0x400: "Reliability",
}
NOT_THROTTLES = frozenset(
    {"GpuIdle", "ApplicationsClocksSetting", "DisplayClockSetting", "SyncBoost"}
)
#: the bits that mean a throttle (dcgm-exporter's reasons bitmask is decoded with it too)
THROTTLE_MASK = sum(bit for bit, name in CLOCK_EVENT_REASONS.items() if name not in NOT_THROTTLES)

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class GpuProcess:
    """A compute process on a GPU; ``used_memory_bytes`` is ``None`` when NVML cannot say."""

    pid: int
    used_memory_bytes: int | None


@dataclass(frozen=True, slots=True)
class GpuReading:
    """One sample of one GPU. ``None`` means the GPU does not support (or report) the field."""

    index: int
    uuid: str | None = None
    name: str | None = None
    lost: bool = False
    error: str | None = None
    util_percent: float | None = None
    mem_util_percent: float | None = None
    memory_total_bytes: int | None = None
    memory_used_bytes: int | None = None
    memory_reserved_bytes: int | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    energy_mj: int | None = None
    temperature_c: float | None = None
    sm_clock_mhz: int | None = None
    mem_clock_mhz: int | None = None
    clock_event_reasons: tuple[str, ...] | None = None
    processes: tuple[GpuProcess, ...] | None = None
    #: a MIG device: the UUID of the GPU it is carved from, and its profile (``3g.40gb``)
    parent_uuid: str | None = None
    mig_profile: str | None = None

    @property
    def throttled(self) -> bool | None:
        """Whether any clock-event reason is a real throttle (power, thermal, slowdown)."""
        if self.clock_event_reasons is None:
            return None
        return any(reason not in NOT_THROTTLES for reason in self.clock_event_reasons)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["throttled"] = self.throttled
        if self.clock_event_reasons is not None:
            data["clock_event_reasons"] = list(self.clock_event_reasons)
        return data


@dataclass(frozen=True, slots=True)
class NvmlSample:
    """Every GPU of this machine at one moment, or why there is no telemetry."""

    at: float
    gpus: tuple[GpuReading, ...] = ()
    driver_version: str | None = None
    #: "no local GPU telemetry: <reason>" when NVML could not be used at all.
    unavailable: str | None = None
    duration_s: float = field(default=0.0, compare=False)


def decode_clock_event_reasons(mask: int) -> tuple[str, ...]:
    """Names of the clock-event reason bits set in ``mask`` (unknown bits as hex)."""
    names = [name for bit, name in CLOCK_EVENT_REASONS.items() if mask & bit]
    unknown = mask & ~sum(CLOCK_EVENT_REASONS)
    if unknown:
        names.append(f"0x{unknown:x}")
    return tuple(names)


class _Nvml:
    """The lazily initialised NVML library, shared by the process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.module: ModuleType | None = None
        self.unavailable: str | None = None
        self.initialised = False

    def load(self) -> ModuleType | None:
        with self.lock:
            if self.initialised:
                return self.module
            self.initialised = True
            try:
                import pynvml
            except ImportError:
                self.unavailable = "no local GPU telemetry: nvidia-ml-py is not installed"
                return None
            try:
                pynvml.nvmlInit()
            except pynvml.NVMLError as exc:
                self.unavailable = f"no local GPU telemetry: {_reason(pynvml, exc)}"
                return None
            module: ModuleType = pynvml
            self.module = module
            atexit.register(self.shutdown)
            return module

    def shutdown(self) -> None:
        with self.lock:
            if self.module is not None:
                try:
                    self.module.nvmlShutdown()
                except self.module.NVMLError:
                    log.debug("nvmlShutdown failed", exc_info=True)
            self.module = None
            self.initialised = False
            self.unavailable = None


_NVML = _Nvml()


def shutdown() -> None:
    """Shut NVML down (also registered at exit); the next read initialises it again."""
    _NVML.shutdown()


def _reason(pynvml: ModuleType, exc: Exception) -> str:
    if isinstance(exc, pynvml.NVMLError_LibraryNotFound):
        return "the NVML library (libnvidia-ml) was not found"
    if isinstance(exc, pynvml.NVMLError_DriverNotLoaded):
        return "the NVIDIA driver is not loaded"
    if isinstance(exc, pynvml.NVMLError_NoPermission):
        return "no permission to use NVML"
    return f"NVML failed to initialise ({exc})"


class _GpuLost(Exception):
    pass


def _query(pynvml: ModuleType, call: Callable[[], T]) -> T | None:
    """One NVML query: ``None`` for a per-field error, :class:`_GpuLost` for a lost GPU."""
    try:
        return call()
    except pynvml.NVMLError_GpuIsLost:
        raise _GpuLost from None
    except pynvml.NVMLError_NotSupported:
        return None
    except pynvml.NVMLError as exc:
        log.debug("NVML query failed: %s", exc)
        return None


#: a reading, and the MIG instance whose utilisation GPM still has to sample (or ``None``)
_Entry = tuple[GpuReading, MigInstance | None]


def _read_gpu(pynvml: ModuleType, index: int) -> list[_Entry]:
    """One GPU, followed by its MIG devices when it is in MIG mode."""

    def q(call: Callable[[], T]) -> T | None:
        return _query(pynvml, call)

    uuid = name = None
    try:
        handle = q(lambda: pynvml.nvmlDeviceGetHandleByIndex(index))
        if handle is None:
            return [(GpuReading(index=index, error="cannot get a handle for this GPU"), None)]
        uuid = q(lambda: pynvml.nvmlDeviceGetUUID(handle))
        name = q(lambda: pynvml.nvmlDeviceGetName(handle))
        reading = _read_handle(pynvml, q, handle, index, uuid, name)
        return [(reading, None), *_mig_devices(pynvml, handle, index, uuid)]
    except _GpuLost:
        lost = GpuReading(index=index, uuid=uuid, name=name, lost=True, error="GPU is lost")
        return [(lost, None)]


def _read_handle(
    pynvml: ModuleType,
    q: Callable[[Callable[[], Any]], Any],
    handle: Any,
    index: int,
    uuid: str | None,
    name: str | None,
) -> GpuReading:
    util = q(lambda: pynvml.nvmlDeviceGetUtilizationRates(handle))
    memory = q(lambda: pynvml.nvmlDeviceGetMemoryInfo(handle, version=pynvml.nvmlMemory_v2))
    if memory is None:  # v2 is not supported by older drivers: v1 has no reserved field
        memory = q(lambda: pynvml.nvmlDeviceGetMemoryInfo(handle))
    power_mw = q(lambda: pynvml.nvmlDeviceGetPowerUsage(handle))
    limit_mw = q(lambda: pynvml.nvmlDeviceGetEnforcedPowerLimit(handle))
    reasons = _clock_event_reasons(pynvml, q, handle)
    processes = q(lambda: pynvml.nvmlDeviceGetComputeRunningProcesses(handle))
    return GpuReading(
        index=index,
        uuid=uuid,
        name=name,
        util_percent=None if util is None else float(util.gpu),
        mem_util_percent=None if util is None else float(util.memory),
        memory_total_bytes=None if memory is None else int(memory.total),
        memory_used_bytes=None if memory is None else int(memory.used),
        memory_reserved_bytes=_optional_int(getattr(memory, "reserved", None)),
        power_w=None if power_mw is None else power_mw / 1000,
        power_limit_w=None if limit_mw is None else limit_mw / 1000,
        energy_mj=_optional_int(q(lambda: pynvml.nvmlDeviceGetTotalEnergyConsumption(handle))),
        temperature_c=_optional_float(
            q(lambda: pynvml.nvmlDeviceGetTemperature(handle, pynvml.NVML_TEMPERATURE_GPU))
        ),
        sm_clock_mhz=_optional_int(
            q(lambda: pynvml.nvmlDeviceGetClockInfo(handle, pynvml.NVML_CLOCK_SM))
        ),
        mem_clock_mhz=_optional_int(
            q(lambda: pynvml.nvmlDeviceGetClockInfo(handle, pynvml.NVML_CLOCK_MEM))
        ),
        clock_event_reasons=None if reasons is None else decode_clock_event_reasons(reasons),
        processes=None
        if processes is None
        else tuple(
            GpuProcess(pid=int(p.pid), used_memory_bytes=_optional_int(p.usedGpuMemory))
            for p in processes
        ),
    )


def _clock_event_reasons(
    pynvml: ModuleType, q: Callable[[Callable[[], Any]], Any], handle: Any
) -> int | None:
    """The clock-event reasons bitmask; drivers before R535 only have the older name."""
    try:
        return _optional_int(pynvml.nvmlDeviceGetCurrentClocksEventReasons(handle))
    except pynvml.NVMLError_FunctionNotFound:
        return _optional_int(q(lambda: pynvml.nvmlDeviceGetCurrentClocksThrottleReasons(handle)))
    except pynvml.NVMLError_GpuIsLost:
        raise _GpuLost from None
    except pynvml.NVMLError as exc:
        log.debug("NVML query failed: %s", exc)
        return None


def _mig_devices(pynvml: ModuleType, handle: Any, index: int, parent: str | None) -> list[_Entry]:
    """The MIG devices of a GPU in MIG mode (empty when MIG is off or unsupported)."""

    def q(call: Callable[[], T]) -> T | None:
        return _query(pynvml, call)

    mode = q(lambda: pynvml.nvmlDeviceGetMigMode(handle))
    if not mode or mode[0] != pynvml.NVML_DEVICE_MIG_ENABLE:
        return []
    gpm = gpm_supported(pynvml, handle)
    readings: list[_Entry] = []
    for slot in range(q(lambda: pynvml.nvmlDeviceGetMaxMigDeviceCount(handle)) or 0):
        # an empty slot answers NotFound: not every slot holds an instance
        mig = q(partial(pynvml.nvmlDeviceGetMigDeviceHandleByIndex, handle, slot))
        if mig is None:
            continue
        name = q(partial(pynvml.nvmlDeviceGetName, mig))
        util = q(partial(pynvml.nvmlDeviceGetUtilizationRates, mig))
        memory = q(partial(pynvml.nvmlDeviceGetMemoryInfo, mig))
        instance = None
        if util is None and gpm:
            gpu_instance_id = q(partial(pynvml.nvmlDeviceGetGpuInstanceId, mig))
            if gpu_instance_id is not None:
                instance = MigInstance(parent=handle, gpu_instance_id=int(gpu_instance_id))
        # power, energy, clocks and temperature belong to the whole GPU: not repeated here
        reading = GpuReading(
            index=index,
            uuid=q(partial(pynvml.nvmlDeviceGetUUID, mig)),
            name=name,
            util_percent=None if util is None else float(util.gpu),
            mem_util_percent=None if util is None else float(util.memory),
            memory_total_bytes=None if memory is None else int(memory.total),
            memory_used_bytes=None if memory is None else int(memory.used),
            parent_uuid=parent,
            mig_profile=name.rsplit("MIG ", 1)[-1] if name and "MIG " in name else None,
        )
        readings.append((reading, instance))
    return readings


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def read_gpus() -> NvmlSample:
    """Sample every GPU on this machine once (never raises for missing NVML or a lost GPU)."""
    started = time.perf_counter()
    at = time.time()
    pynvml = _NVML.load()
    if pynvml is None:
        return NvmlSample(at=at, unavailable=_NVML.unavailable)
    try:
        count = pynvml.nvmlDeviceGetCount()
    except pynvml.NVMLError as exc:
        return NvmlSample(at=at, unavailable=f"no local GPU telemetry: {_reason(pynvml, exc)}")
    driver = _query(pynvml, pynvml.nvmlSystemGetDriverVersion)
    entries = [entry for index in range(count) for entry in _read_gpu(pynvml, index)]
    gpus = [reading for reading, _ in entries]
    pending = [(position, instance) for position, (_, instance) in enumerate(entries) if instance]
    measured = sample_mig_utilisation(pynvml, [instance for _, instance in pending])
    for (position, _), utilisation in zip(pending, measured, strict=True):
        gpus[position] = replace(
            gpus[position],
            util_percent=utilisation.util_percent,
            mem_util_percent=utilisation.mem_util_percent,
        )
    return NvmlSample(
        at=at, gpus=tuple(gpus), driver_version=driver, duration_s=time.perf_counter() - started
    )
