"""Two ``golocal run`` replicas on one PostgreSQL: one runs the schedule; a dead leader is replaced.

Each replica is a real process with its own ``/metrics``; job runs are counted from there
(``golocal_job_runs_total``), the same figures an operator's Prometheus would see.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from golocal.db.database import Database
from tests.cli_runner import run_golocal
from tests.ops.processes import free_port, golocal_run, metric_value, stop, wait_for

#: A dead leader must be replaced within this (the requirement: two minutes).
TAKEOVER_LIMIT_S = 120


def _metrics(listen: str) -> str:
    return httpx.get(f"http://{listen}/metrics", timeout=5).text


def _runs(listen: str, job: str) -> float:
    value = metric_value(
        _metrics(listen), "golocal_job_runs_total", {"scheduled_job": job, "outcome": "ok"}
    )
    return value or 0.0


def _leader(listen: str) -> bool:
    return metric_value(_metrics(listen), "golocal_scheduler_leader") == 1.0


def _start(config: Path, tmp_path: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    listen = f"127.0.0.1:{free_port()}"
    process = golocal_run(config, {"GOLOCAL_METRICS__LISTEN": listen}, tmp_path / f"{name}.log")
    wait_for(
        lambda: httpx.get(f"http://{listen}/readyz", timeout=2).status_code == 200,
        timeout=60,
        what=f"replica {name} ready",
        process=process,
    )
    return process, listen


@pytest.mark.postgres
def test_two_replicas_run_each_job_once_and_a_killed_leader_is_replaced(
    tmp_path: Path, _migrated_postgres: Database, postgres_url: str
) -> None:
    with _migrated_postgres.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))  # a fresh schedule
    config = tmp_path / "golocal.toml"
    config.write_text(
        f'database_url = "{postgres_url}"\n'
        "[schedule]\nalerts_seconds = 5\nleader_retry_seconds = 1\n",
        encoding="utf-8",
    )
    first, first_listen = _start(config, tmp_path, "first")
    second = None
    try:
        wait_for(lambda: _leader(first_listen), timeout=30, what="the first replica leading")
        second, second_listen = _start(config, tmp_path, "second")
        # the second replica has tried for the lock every second while the leader worked
        start_runs = _runs(first_listen, "alerts")
        wait_for(
            lambda: _runs(first_listen, "alerts") >= start_runs + 2,
            timeout=60,
            what="two more alert runs on the leader",
        )
        assert not _leader(second_listen)
        assert _runs(second_listen, "alerts") == 0
        assert _runs(second_listen, "collect_cloud") == 0
        assert _runs(first_listen, "collect_cloud") == 1  # at start, once

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        wait_for(
            lambda: _leader(second_listen),
            timeout=TAKEOVER_LIMIT_S,
            what="the second replica taking over",
            process=second,
        )
        wait_for(
            lambda: _runs(second_listen, "alerts") >= 2,
            timeout=60,
            what="alert runs on the new leader",
        )
        # what the dead leader would have run at start-up runs once on its successor
        assert _runs(second_listen, "collect_cloud") == 1
        assert _runs(second_listen, "digest_retry") == 1
        text_ = _metrics(second_listen)
        assert metric_value(text_, "golocal_scheduler_leader_changes_total", {"change": "elected"})
    finally:
        stop(first)
        if second is not None:
            stop(second)
    for name in ("first", "second"):
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text(errors="replace")


def test_sqlite_refuses_a_second_run_on_the_same_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "golocal.db"
    config = tmp_path / "golocal.toml"
    config.write_text(f'database_url = "sqlite:///{database}"\n', encoding="utf-8")
    first, _listen = _start(config, tmp_path, "first")
    try:
        monkeypatch.setenv("GOLOCAL_CONFIG", str(config))
        result = run_golocal(capsys, "run", "--console")
    finally:
        stop(first)

    assert result.exit_code == 1
    assert f"another golocal run (process {first.pid}) already uses {database}" in result.stderr
    assert "PostgreSQL" in result.stderr
