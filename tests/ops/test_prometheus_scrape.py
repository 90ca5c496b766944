"""A real Prometheus scrapes ``golocal run``'s ``/metrics`` (and loads the shipped rules)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.ops.processes import (
    free_port,
    golocal_run,
    metric_value,
    require_binary,
    server_process,
    stop,
    wait_for,
)
from tests.ops.shipped import RULES, as_prometheus_query, dashboard_expressions


def _config(tmp_path: Path, listen: str, dead_port: int) -> Path:
    config = tmp_path / "golocal.toml"
    config.write_text(
        f"""
database_url = "sqlite:///{tmp_path / "golocal.db"}"
[metrics]
listen = "{listen}"
[schedule]
alerts_seconds = 5
telemetry_seconds = 1
[[inference_servers]]
name = "coder"
kind = "vllm"
url = "http://127.0.0.1:{dead_port}"
""",
        encoding="utf-8",
    )
    return config


def _query(base: str, promql: str) -> list[dict[str, object]]:
    answer = httpx.get(f"{base}/api/v1/query", params={"query": promql}, timeout=5).json()
    assert answer["status"] == "success", answer
    return list(answer["data"]["result"])


def test_prometheus_scrapes_golocal_run(tmp_path: Path) -> None:
    prometheus = require_binary("prometheus", "prometheus")
    port, prom_port = free_port(), free_port()
    listen = f"127.0.0.1:{port}"
    config = _config(tmp_path, listen, free_port())
    bot = golocal_run(config, {}, tmp_path / "golocal.log")
    try:
        wait_for(
            lambda: httpx.get(f"http://{listen}/readyz", timeout=2).status_code == 200,
            timeout=60,
            what="golocal run's /readyz",
            process=bot,
        )
        assert httpx.get(f"http://{listen}/healthz", timeout=2).text == "ok\n"
        prom_config = tmp_path / "prometheus.yml"
        prom_config.write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(RULES)],
                    "scrape_configs": [
                        {"job_name": "golocal", "static_configs": [{"targets": [listen]}]}
                    ],
                }
            ),
            encoding="utf-8",
        )
        base = f"http://127.0.0.1:{prom_port}"
        command = [
            prometheus,
            f"--config.file={prom_config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ]
        with server_process(command, f"{base}/-/ready", log=tmp_path / "prometheus.log"):
            up = wait_for(
                lambda: _query(base, 'up{job="golocal"} == 1') or None,
                timeout=60,
                what="Prometheus' first successful scrape of golocal",
            )
            assert up[0]["metric"]["instance"] == listen
            build = wait_for(
                lambda: _query(base, "golocal_build_info") or None,
                timeout=30,
                what="golocal_build_info in Prometheus",
            )
            assert build[0]["metric"]["version"]
            # the schedule runs here (the only replica leads) and Prometheus sees it
            assert _query(base, "golocal_scheduler_leader")[0]["value"][1] == "1"
            wait_for(
                lambda: _query(
                    base, 'golocal_job_runs_total{scheduled_job="alerts",outcome="ok"} > 0'
                ),
                timeout=60,
                what="alert job runs in Prometheus",
            )
            wait_for(
                lambda: _query(base, 'golocal_source_errors_total{source="coder"} > 0'),
                timeout=60,
                what="the unreachable source's errors in Prometheus",
            )
            assert _query(base, "golocal_db_up")[0]["value"][1] == "1"
            rules = httpx.get(f"{base}/api/v1/rules", timeout=5).json()["data"]["groups"]
            loaded = {rule["name"]: rule["health"] for g in rules for rule in g["rules"]}
            assert "GolocalSourceStale" in loaded
            assert set(loaded.values()) <= {"ok", "unknown"}, loaded
            for expr in dashboard_expressions():
                answer = httpx.get(
                    f"{base}/api/v1/query", params={"query": as_prometheus_query(expr)}, timeout=5
                ).json()
                assert answer["status"] == "success", (expr, answer)
        text = httpx.get(f"http://{listen}/metrics", timeout=5).text
        assert metric_value(text, "golocal_source_last_success_timestamp_seconds") is None
        assert metric_value(text, "golocal_source_interval_seconds", {"source": "coder"}) == 1.0
    finally:
        stop(bot)
        bot_log = (tmp_path / "golocal.log").read_text(errors="replace")
    assert "Traceback" not in bot_log


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999"])
def test_a_bad_metrics_address_is_a_configuration_error(tmp_path: Path, listen: str) -> None:
    from golocal.config.settings import ConfigError, load_settings

    config = tmp_path / "golocal.toml"
    config.write_text(f'[metrics]\nlisten = "{listen}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"metrics\.listen"):
        load_settings(config)
