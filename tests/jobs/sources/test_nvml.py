"""NVML reading, scripted per scenario (no GPU needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pynvml
import pytest

from golocal.jobs.sources import nvml
from tests.fakes.nvml import GPU_IS_LOST, NOT_SUPPORTED, GpmSamples, ScriptedGpu, install


@pytest.fixture(autouse=True)
def fresh_nvml() -> Iterator[None]:
    nvml.shutdown()
    yield
    nvml.shutdown()


def test_two_gpus_are_read_with_units_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    second = ScriptedGpu(uuid="GPU-1", name="NVIDIA L40S", reasons=0x1, power_mw=35_000)
    install(monkeypatch, [ScriptedGpu(), second])

    sample = nvml.read_gpus()

    assert sample.unavailable is None
    assert sample.driver_version == "580.95.05"
    first, other = sample.gpus
    assert (first.index, first.uuid, first.name) == (
        0,
        "GPU-00000000-0000-4000-8000-000000000000",
        "NVIDIA H100 80GB HBM3",
    )
    assert first.power_w == pytest.approx(512.345)
    assert first.power_limit_w == 700.0
    assert first.energy_mj == 4_821_033_000
    assert first.memory_used_bytes == 60_129_542_144
    assert first.memory_reserved_bytes == 536_870_912
    assert (first.util_percent, first.mem_util_percent) == (87.0, 41.0)
    assert (first.sm_clock_mhz, first.mem_clock_mhz, first.temperature_c) == (1980, 2619, 67.0)
    assert first.clock_event_reasons == ("SwPowerCap",)
    assert first.throttled is True
    assert [(p.pid, p.used_memory_bytes) for p in first.processes or ()] == [
        (4242, 42 * 1024**3),
        (4343, None),
    ]
    # idle is a clock event, not a throttle
    assert other.clock_event_reasons == ("GpuIdle",)
    assert other.throttled is False
    assert other.name == "NVIDIA L40S"


def test_unsupported_fields_are_absent_and_the_rest_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gpu = ScriptedGpu(
        energy_mj=NOT_SUPPORTED, power_mw=NOT_SUPPORTED, reasons=NOT_SUPPORTED, memory_v2=False
    )
    install(monkeypatch, [gpu])

    (reading,) = nvml.read_gpus().gpus

    assert reading.energy_mj is None
    assert reading.power_w is None
    assert reading.clock_event_reasons is None
    assert reading.throttled is None
    # v1 memory info: no reserved field, used includes it
    assert reading.memory_reserved_bytes is None
    assert reading.memory_used_bytes == 60_129_542_144 + 536_870_912
    assert reading.util_percent == 87.0
    assert reading.lost is False


def test_a_lost_gpu_is_reported_and_the_others_still_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install(monkeypatch, [ScriptedGpu(uuid="GPU-a", lost=True), ScriptedGpu(uuid="GPU-b")])

    lost, healthy = nvml.read_gpus().gpus

    assert lost.lost is True
    assert lost.error == "GPU is lost"
    assert lost.util_percent is None
    assert healthy.lost is False
    assert healthy.uuid == "GPU-b"
    assert healthy.util_percent == 87.0


def test_lost_while_reading_one_field(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [ScriptedGpu(temperature=GPU_IS_LOST)])
    (reading,) = nvml.read_gpus().gpus
    assert reading.lost is True
    assert reading.uuid == "GPU-00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "the NVML library (libnvidia-ml) was not found"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "the NVIDIA driver is not loaded"),
    ],
)
def test_no_library_or_driver_is_a_normal_state(
    monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    install(monkeypatch, [ScriptedGpu()], init_error=code)

    sample = nvml.read_gpus()

    assert sample.gpus == ()
    assert sample.unavailable == f"no local GPU telemetry: {reason}"


def test_nvml_is_initialised_once_and_shut_down(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = install(monkeypatch, [ScriptedGpu()])
    nvml.read_gpus()
    nvml.read_gpus()
    nvml.shutdown()
    assert calls == ["init", "shutdown"]


def test_decode_clock_event_reasons() -> None:
    assert nvml.decode_clock_event_reasons(0x1 | 0x40 | 0x1000) == (
        "GpuIdle",
        "HwThermalSlowdown",
        "0x1000",
    )


def test_a_driver_before_r535_falls_back_to_throttle_reasons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install(monkeypatch, [ScriptedGpu(old_driver=True, reasons=0x40)])
    (gpu,) = nvml.read_gpus().gpus
    assert gpu.clock_event_reasons == ("HwThermalSlowdown",)
    assert gpu.throttled is True


def test_sync_boost_is_not_a_throttle_and_board_limit_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install(
        monkeypatch,
        [ScriptedGpu(reasons=0x10), ScriptedGpu(uuid="GPU-1", reasons=0x200 | 0x400 | 0x1)],
    )
    boosted, limited = nvml.read_gpus().gpus
    assert boosted.clock_event_reasons == ("SyncBoost",)
    assert boosted.throttled is False
    assert limited.clock_event_reasons == ("GpuIdle", "BoardLimit", "Reliability")
    assert limited.throttled is True


def test_mig_devices_are_read_as_devices_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    def instance(uuid: str, profile: str, used: int) -> ScriptedGpu:
        return ScriptedGpu(
            uuid=uuid,
            name=f"NVIDIA A100-SXM4-80GB MIG {profile}",
            util=NOT_SUPPORTED,
            memory=(40 * 1024**3, used, 0),
            memory_v2=False,
        )

    parent = ScriptedGpu(
        uuid="GPU-aaa",
        name="NVIDIA A100-SXM4-80GB",
        util=NOT_SUPPORTED,  # a GPU in MIG mode has no utilisation of its own
        mig=[
            instance("MIG-1111", "4g.40gb", 30_000 * 1024**2),
            None,
            instance("MIG-2222", "3g.40gb", 12_000 * 1024**2),
        ],
    )
    install(monkeypatch, [parent])
    whole, first, second = nvml.read_gpus().gpus
    assert (whole.uuid, whole.parent_uuid, whole.util_percent) == ("GPU-aaa", None, None)
    assert whole.power_w is not None  # power stays with the whole GPU
    assert (first.uuid, first.parent_uuid, first.mig_profile) == ("MIG-1111", "GPU-aaa", "4g.40gb")
    assert (second.mig_profile, second.index) == ("3g.40gb", 0)
    assert first.memory_used_bytes + second.memory_used_bytes == 42_000 * 1024**2
    assert first.power_w is None and first.energy_mj is None  # not counted twice


def h100_in_mig_mode(gpm_supported: object, *instances: ScriptedGpu) -> ScriptedGpu:
    return ScriptedGpu(
        uuid="GPU-hhh", util=NOT_SUPPORTED, gpm_supported=gpm_supported, mig=list(instances)
    )


def mig_instance(uuid: str, gpu_instance_id: int, gpm: object) -> ScriptedGpu:
    return ScriptedGpu(
        uuid=uuid,
        name="NVIDIA H100 80GB HBM3 MIG 3g.40gb",
        util=NOT_SUPPORTED,  # nvmlDeviceGetUtilizationRates on a MIG handle
        memory=(40 * 1024**3, 1024**3, 0),
        memory_v2=False,
        gpu_instance_id=gpu_instance_id,
        gpm=gpm,
    )


def test_mig_utilisation_is_read_through_gpm(monkeypatch: pytest.MonkeyPatch) -> None:
    gpm = GpmSamples()
    install(
        monkeypatch,
        [
            h100_in_mig_mode(
                True,
                mig_instance("MIG-1", 1, (62.5, 30.25)),
                None,
                mig_instance("MIG-2", 2, (0.0, 4.0)),  # idle is a real 0, not unknown
            )
        ],
        gpm=gpm,
    )
    whole, first, second = nvml.read_gpus().gpus
    assert whole.util_percent is None  # the whole GPU still has no figure of its own
    assert (first.uuid, first.util_percent, first.mem_util_percent) == ("MIG-1", 62.5, 30.25)
    assert (second.uuid, second.util_percent, second.mem_util_percent) == ("MIG-2", 0.0, 4.0)
    assert gpm.allocated == 4 and gpm.live == {}  # two samples per instance, all freed


@pytest.mark.parametrize(
    "gpm_supported",
    [False, pynvml.NVML_ERROR_FUNCTION_NOT_FOUND, NOT_SUPPORTED],
    ids=["no-gpm-on-this-gpu", "driver-without-gpm", "query-not-supported"],
)
def test_mig_utilisation_without_gpm_is_unknown_not_zero(
    monkeypatch: pytest.MonkeyPatch, gpm_supported: object
) -> None:
    gpm = GpmSamples()
    install(
        monkeypatch,
        [h100_in_mig_mode(gpm_supported, mig_instance("MIG-1", 1, (50.0, 5.0)))],
        gpm=gpm,
    )
    _, mig = nvml.read_gpus().gpus
    assert (mig.uuid, mig.util_percent, mig.mem_util_percent) == ("MIG-1", None, None)
    assert mig.memory_used_bytes == 1024**3  # the rest of the instance is still read
    assert gpm.allocated == 0


def test_a_gpm_figure_nvml_refuses_stays_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    gpm = GpmSamples()
    install(
        monkeypatch,
        [
            h100_in_mig_mode(
                True,
                mig_instance("MIG-1", 1, (71.0, NOT_SUPPORTED)),  # one metric refused
                mig_instance("MIG-2", 2, NOT_SUPPORTED),  # the instance's samples refused
                mig_instance("MIG-3", 3, (12.0, 2.0)),
            )
        ],
        gpm=gpm,
    )
    _, first, second, third = nvml.read_gpus().gpus
    assert (first.util_percent, first.mem_util_percent) == (71.0, None)
    assert (second.util_percent, second.mem_util_percent) == (None, None)
    assert (third.util_percent, third.mem_util_percent) == (12.0, 2.0)
    assert gpm.live == {}
