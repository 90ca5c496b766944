"""Real processes for the operations tests: ``golocal run`` replicas and Debian's servers.

A test that needs a binary (``prometheus``, ``promtool``, ``prometheus-alertmanager``)
skips with the reason where it is missing, and fails under CI (``CI`` set), where
``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

T = TypeVar("T")


def require_binary(name: str, package: str) -> str:
    """The path of ``name``; skips (fails under CI) when it is not installed."""
    found = shutil.which(name)
    if found is None:
        reason = f"{name} is not installed (Debian package {package})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run must install it")
        pytest.skip(reason)
    return found


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(probe: Callable[[], T | None], *, timeout: float, what: str, process: Any = None) -> T:
    """Poll ``probe`` until it returns something other than ``None``/``False``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        try:
            value = probe()
        except (httpx.HTTPError, OSError):
            value = None
        if value is not None and value is not False:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextmanager
def server_process(
    command: Sequence[str], ready_url: str, *, log: Path, timeout: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait until ``ready_url`` answers 200, stop it afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT)
        try:
            try:
                wait_for(
                    lambda: httpx.get(ready_url, timeout=2).status_code == 200,
                    timeout=timeout,
                    what=f"{command[0]} at {ready_url}",
                    process=process,
                )
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{log.read_text(errors='replace')[-3000:]}") from None
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def golocal_run(
    config: Path, env: dict[str, str], log: Path, *args: str
) -> subprocess.Popen[bytes]:
    """``golocal run --console`` as its own process; its stdin stays open (no EOF)."""
    environment = {**os.environ, **env, "GOLOCAL_CONFIG": str(config)}
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "golocal", "run", "--console", *args],
        stdin=subprocess.PIPE,
        stdout=out,
        stderr=subprocess.STDOUT,
        env=environment,
    )


def metric_value(text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    """One sample's value from Prometheus text exposition, or ``None`` when absent."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(
                sample.labels.get(k) == v for k, v in (labels or {}).items()
            ):
                return float(sample.value)
    return None
