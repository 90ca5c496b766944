"""``golocal agent``: sample this node's GPUs through NVML and serve them over HTTP.

A sampler thread reads NVML every ``sample_seconds`` and keeps the latest sample; the HTTP
server only renders that sample, so a slow NVML call never blocks a scrape. ``/metrics``
is Prometheus text (prometheus-client; families ``golocal_gpu_*`` with labels ``gpu``,
``uuid``, ``name``, ``host``, and ``parent_uuid``/``mig_profile`` on a MIG device) and
``/v1/sample`` the same sample as JSON.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from golocal.jobs.http_serving import make_route_server
from golocal.jobs.sources import nvml
from golocal.jobs.sources.gpu_metrics import AGENT_ENERGY, AGENT_GAUGES

log = logging.getLogger(__name__)

#: ``parent_uuid`` and ``mig_profile`` are set on MIG devices only (empty labels are absent)
LABELS = ["gpu", "uuid", "name", "host", "parent_uuid", "mig_profile"]

# family -> how to read it from a GpuReading
_VALUES: dict[str, Callable[[nvml.GpuReading], float | None]] = {
    "golocal_gpu_utilization_percent": lambda r: r.util_percent,
    "golocal_gpu_memory_utilization_percent": lambda r: r.mem_util_percent,
    "golocal_gpu_memory_used_bytes": lambda r: r.memory_used_bytes,
    "golocal_gpu_memory_total_bytes": lambda r: r.memory_total_bytes,
    "golocal_gpu_memory_reserved_bytes": lambda r: r.memory_reserved_bytes,
    "golocal_gpu_power_watts": lambda r: r.power_w,
    "golocal_gpu_power_limit_watts": lambda r: r.power_limit_w,
    "golocal_gpu_temperature_celsius": lambda r: r.temperature_c,
    "golocal_gpu_sm_clock_mhz": lambda r: r.sm_clock_mhz,
    "golocal_gpu_memory_clock_mhz": lambda r: r.mem_clock_mhz,
    "golocal_gpu_throttled": lambda r: None if r.throttled is None else float(r.throttled),
    "golocal_gpu_lost": lambda r: float(r.lost),
    "golocal_gpu_processes": lambda r: None if r.processes is None else len(r.processes),
}


def sample_json(sample: nvml.NvmlSample, host: str) -> dict[str, Any]:
    """The JSON form of a sample (``--once --json`` and ``/v1/sample``)."""
    return {
        "host": host,
        "at": datetime.fromtimestamp(sample.at, UTC).isoformat(),
        "driver_version": sample.driver_version,
        "gpus": [reading.as_json() for reading in sample.gpus],
        "reason": sample.unavailable,
        "sample_ms": round(sample.duration_s * 1000, 3),
    }


class GpuAgent:
    """Keeps the latest NVML sample of this node and renders it."""

    def __init__(
        self,
        *,
        host: str | None = None,
        sample_seconds: float = 5.0,
        read: Callable[[], nvml.NvmlSample] = nvml.read_gpus,
    ) -> None:
        self.host = host or socket.gethostname()
        self.sample_seconds = sample_seconds
        self.read = read
        self._latest: nvml.NvmlSample | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def sample_once(self) -> nvml.NvmlSample:
        """Read NVML now and keep the result as the latest sample."""
        sample = self.read()
        with self._lock:
            self._latest = sample
        return sample

    @property
    def latest(self) -> nvml.NvmlSample:
        with self._lock:
            latest = self._latest
        return latest if latest is not None else self.sample_once()

    def start_sampling(self) -> None:
        """Sample in a background thread until :meth:`stop`."""
        self.sample_once()

        def loop() -> None:
            while not self._stop.wait(self.sample_seconds):
                try:
                    self.sample_once()
                except Exception:  # keep serving the last good sample
                    log.exception("GPU sampling failed")

        self._thread = threading.Thread(target=loop, name="gpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def collect(self) -> Iterator[Metric]:
        """prometheus-client collector protocol: the latest sample as metric families."""
        sample = self.latest
        families = {
            name: GaugeMetricFamily(name, help_text, labels=LABELS)
            for name, help_text in AGENT_GAUGES.items()
        }
        energy = CounterMetricFamily(
            AGENT_ENERGY, "Energy used since the driver loaded (J)", labels=LABELS
        )
        reasons = GaugeMetricFamily(
            "golocal_gpu_clock_event_reason",
            "1 for each active clock-event reason (GpuIdle is not a throttle)",
            labels=[*LABELS, "reason"],
        )
        for reading in sample.gpus:
            labels = [
                str(reading.index),
                reading.uuid or "",
                reading.name or "",
                self.host,
                reading.parent_uuid or "",
                reading.mig_profile or "",
            ]
            for name, read in _VALUES.items():
                value = None if reading.lost and name != "golocal_gpu_lost" else read(reading)
                if value is not None:
                    families[name].add_metric(labels, float(value))
            if reading.energy_mj is not None and not reading.lost:
                energy.add_metric(labels, reading.energy_mj / 1000)
            for reason in reading.clock_event_reasons or ():
                reasons.add_metric([*labels, reason], 1.0)
        available = GaugeMetricFamily(
            "golocal_gpu_telemetry_available", "1 when NVML could be used", labels=["host"]
        )
        available.add_metric([self.host], 0.0 if sample.unavailable else 1.0)
        yield available
        yield from families.values()
        yield energy
        yield reasons

    def metrics_text(self) -> bytes:
        return generate_latest(self.registry)

    def sample_body(self) -> bytes:
        return json.dumps(sample_json(self.latest, self.host)).encode()


def make_server(agent: GpuAgent, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server answering ``/metrics`` and ``/v1/sample`` from the agent's sample."""
    routes = {
        "/metrics": lambda: (200, agent.metrics_text(), CONTENT_TYPE_LATEST),
        "/v1/sample": lambda: (200, agent.sample_body(), "application/json"),
    }
    return make_route_server(routes, host, port, name="agent")
