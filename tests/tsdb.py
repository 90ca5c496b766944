"""Real time-series databases for the fleet tests: Debian's Prometheus and VictoriaMetrics.

The ``tsdb`` fixture runs each test once per engine (``prometheus``, ``victoria-metrics``,
the single-node binary; ``every_tsdb`` starts both in one test) and hands it a function
that starts the real server on a free loopback port, with a temporary configuration and
data directory, scraping the given ``/metrics`` URLs every second. Both answer the same
Prometheus HTTP API (``/api/v1/query_range``), which is all golocal's fleet source uses.
Where a binary is missing the test skips with the reason; under CI (``CI`` set) it fails,
because ``.ci/run`` installs both packages.

Engine flags: Prometheus ``--web.listen-address``, ``--storage.tsdb.path`` (prometheus
2.42 ``cmd/prometheus/main.go``); VictoriaMetrics ``-httpListenAddr``, ``-storageDataPath``,
``-promscrape.config``, and ``-search.latencyOffset=0s`` / ``-search.disableCache`` so
samples are queryable at once (VictoriaMetrics 1.79 ``app/vmselect/searchutils`` and
``app/vmselect/promql``); ``/internal/force_flush`` makes freshly scraped samples
searchable (``app/vmstorage``).

``backfilled_tsdb`` starts an engine that already holds given samples in the past, so a
test reads whole past minutes without waiting for them: Prometheus from blocks written by
``promtool tsdb create-blocks-from openmetrics`` (prometheus 2.42
``docs/storage.md#backfilling-from-openmetrics-format``: OpenMetrics text, times in seconds,
``# EOF`` last), VictoriaMetrics through ``/api/v1/import/prometheus`` (the exposition
format with a timestamp in milliseconds, ``docs/README.md`` "How to import data in
Prometheus exposition format").
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.ops.processes import free_port, require_binary, server_process, wait_for

ENGINES = {
    # engine -> (binary, Debian package, readiness path)
    "prometheus": ("prometheus", "prometheus", "/-/ready"),
    "victoria-metrics": ("victoria-metrics", "victoria-metrics", "/health"),
}


@dataclass(frozen=True)
class Tsdb:
    """A running engine: its API base URL."""

    engine: str
    url: str

    def instant(self, promql: str) -> list[dict[str, object]]:
        """An instant query's result vector (made fresh for VictoriaMetrics first)."""
        if self.engine == "victoria-metrics":
            httpx.get(f"{self.url}/internal/force_flush", timeout=5)
        answer = httpx.post(f"{self.url}/api/v1/query", data={"query": promql}, timeout=5).json()
        assert answer["status"] == "success", answer
        return list(answer["data"]["result"])

    def wait_until(self, promql: str, predicate: Callable[[list[float]], bool]) -> None:
        """Wait until the values of an instant query satisfy ``predicate``."""

        def probe() -> bool:
            return predicate([float(item["value"][1]) for item in self.instant(promql)])  # type: ignore[index]

        wait_for(probe, timeout=60, what=f"{self.engine}: {promql}")


StartTsdb = Callable[[list[str]], Tsdb]


def _start(engine: str, targets: list[str], folder: Path, running: ExitStack) -> Tsdb:
    binary_name, package, ready = ENGINES[engine]
    binary = require_binary(binary_name, package)
    folder.mkdir(exist_ok=True)
    config = folder / "scrape.yml"  # JSON is YAML
    config.write_text(json.dumps(_scrape_config(targets)), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if engine == "prometheus":
        command = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
    else:
        command = [
            binary,
            f"-promscrape.config={config}",
            f"-storageDataPath={folder / 'data'}",
            f"-httpListenAddr=127.0.0.1:{port}",
            "-search.latencyOffset=0s",
            "-search.disableCache",
        ]
    running.enter_context(server_process(command, url + ready, log=folder / "log"))
    return Tsdb(engine, url)


@pytest.fixture(params=sorted(ENGINES))
def tsdb(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StartTsdb]:
    """``start(["http://127.0.0.1:PORT/metrics", ...])`` -> a scraping :class:`Tsdb`."""
    engine = request.param
    require_binary(*ENGINES[engine][:2])
    with ExitStack() as running:
        yield lambda targets: _start(engine, targets, tmp_path / engine, running)


@pytest.fixture
def every_tsdb(tmp_path: Path) -> Iterator[Callable[[list[str]], list[Tsdb]]]:
    """``start([...])`` -> every engine scraping the same targets, for a test that waits
    on the wall clock once for all of them."""
    with ExitStack() as running:
        yield lambda targets: [
            _start(engine, targets, tmp_path / engine, running) for engine in sorted(ENGINES)
        ]


Samples = Sequence[tuple[str, dict[str, str], Sequence[tuple[float, float]]]]


def _escaped(value: str) -> str:
    """A label value as the exposition format writes it: backslash, quote, newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _exposition(series: Samples, *, milliseconds: bool) -> str:
    lines = []
    for name, labels, samples in series:
        body = ",".join(f'{k}="{_escaped(v)}"' for k, v in sorted(labels.items()))
        for at, value in sorted(samples):
            stamp = str(int(at * 1000)) if milliseconds else f"{at:.3f}"
            lines.append(f"{name}{{{body}}} {float(value)!r} {stamp}")  # every digit kept
    return "\n".join(lines) + "\n"


def _start_backfilled(engine: str, series: Samples, folder: Path, running: ExitStack) -> Tsdb:
    folder.mkdir()
    if engine == "prometheus":
        promtool = require_binary("promtool", "prometheus")
        source = folder / "backfill.om"
        source.write_text(_exposition(series, milliseconds=False) + "# EOF\n", encoding="utf-8")
        subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", source, folder / "data"],
            check=True,
            capture_output=True,
        )
        return _start(engine, [], folder, running)
    started = _start(engine, [], folder, running)
    answer = httpx.post(
        f"{started.url}/api/v1/import/prometheus",
        content=_exposition(series, milliseconds=True),
        timeout=30,
    )
    assert answer.status_code == 204, answer.text
    httpx.get(f"{started.url}/internal/force_flush", timeout=5)
    return started


@pytest.fixture(params=sorted(ENGINES))
def backfilled_tsdb(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[Samples], Tsdb]]:
    """``start(series)`` -> an engine (once per engine) holding those past samples."""
    engine = request.param
    require_binary(*ENGINES[engine][:2])
    with ExitStack() as running:
        yield lambda series: _start_backfilled(engine, series, tmp_path / engine, running)


def _scrape_config(targets: list[str]) -> dict[str, object]:
    jobs = []
    for number, target in enumerate(targets):
        parts = urlsplit(target)
        jobs.append(
            {
                "job_name": f"target{number}",
                "metrics_path": parts.path or "/metrics",
                "static_configs": [{"targets": [parts.netloc]}],
            }
        )
    return {"global": {"scrape_interval": "1s", "scrape_timeout": "1s"}, "scrape_configs": jobs}
