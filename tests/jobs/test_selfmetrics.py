"""golocal's own metrics: what collections, scheduled jobs and the endpoints record."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from golocal.config.settings import Settings
from golocal.db.database import Database, create_database_engine
from golocal.jobs.collect import CollectRequest, collect_sources
from golocal.jobs.health_server import start_health_server
from golocal.jobs.schedule import (
    ALERTS,
    ROLLUPS,
    build_scheduler,
    run_scheduled,
    start_scheduler,
    stored_next_runs,
)
from golocal.jobs.selfmetrics import REGISTRY
from tests.fakes.anthropic import FakeAnthropic, MessagesRow
from tests.fakes.openai import FakeOpenAI
from tests.ops.processes import metric_value, wait_for

OPENAI_KEY = "sk-admin-metrics-test-SECRET"
DAY = date(2026, 1, 5)


def _value(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_a_collection_records_outcome_rows_duration_and_last_success(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    openai = FakeOpenAI(OPENAI_KEY).start()
    anthropic = FakeAnthropic("sk-ant-admin01-the-right-one").start()
    try:
        openai.add_usage(DAY, "gpt-4o", "proj_a", requests=120, input_tokens=50_000)
        openai.add_cost(DAY, "gpt-4o, input", "proj_a", 0.125)
        anthropic.messages.append(MessagesRow(DAY, "claude-haiku-4-5", None, None, 100, 10))
        settings = Settings(
            openai_admin_key=OPENAI_KEY,  # type: ignore[arg-type]
            openai_base_url=openai.base_url,
            anthropic_admin_key="sk-ant-admin01-wrong",  # type: ignore[arg-type]
            anthropic_base_url=anthropic.url,
        )
        before = {
            "ok": _value("golocal_source_collections_total", {"source": "openai", "outcome": "ok"}),
            "rows": _value("golocal_source_rows_upserted_total", {"source": "openai"}),
            "errors": _value("golocal_source_errors_total", {"source": "anthropic"}),
            "timed": _value(
                "golocal_source_collection_duration_seconds_count", {"source": "openai"}
            ),
        }
        started = time.time()
        request = CollectRequest(
            settings=settings,
            database=database,
            now=datetime(2026, 1, 7, tzinfo=UTC),
            since=DAY,
            until=DAY + timedelta(days=2),
            sleep=lambda _s: None,
        )
        results = {r.source: r for r in collect_sources(["openai", "anthropic"], request)}
    finally:
        openai.stop()
        anthropic.stop()

    assert results["openai"].ok and not results["anthropic"].ok
    labels = {"source": "openai", "outcome": "ok"}
    assert _value("golocal_source_collections_total", labels) == before["ok"] + 1
    rows = _value("golocal_source_rows_upserted_total", {"source": "openai"})
    assert rows == before["rows"] + results["openai"].rows > before["rows"]
    timed = _value("golocal_source_collection_duration_seconds_count", {"source": "openai"})
    assert timed == before["timed"] + 1
    assert _value("golocal_source_last_success_timestamp_seconds", {"source": "openai"}) >= started
    assert _value("golocal_source_errors_total", {"source": "anthropic"}) == before["errors"] + 1
    failed = {"source": "anthropic", "outcome": "failed"}
    assert _value("golocal_source_collections_total", failed) >= 1


def test_scheduled_runs_are_counted_by_job_and_outcome(sqlite_database: Database) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    build_scheduler(sqlite_database, Settings(), {ALERTS: lambda: None, ROLLUPS: broken})
    ok = _value("golocal_job_runs_total", {"scheduled_job": ALERTS, "outcome": "ok"})
    failed = _value("golocal_job_runs_total", {"scheduled_job": ROLLUPS, "outcome": "failed"})
    skipped = _value("golocal_job_runs_total", {"scheduled_job": "digest", "outcome": "skipped"})

    run_scheduled(ALERTS)
    run_scheduled(ROLLUPS)  # logged, counted, never raised
    run_scheduled("digest")  # no runner in this process

    assert _value("golocal_job_runs_total", {"scheduled_job": ALERTS, "outcome": "ok"}) == ok + 1
    labels = {"scheduled_job": ROLLUPS, "outcome": "failed"}
    assert _value("golocal_job_runs_total", labels) == failed + 1
    labels = {"scheduled_job": "digest", "outcome": "skipped"}
    assert _value("golocal_job_runs_total", labels) == skipped + 1
    assert _value("golocal_job_last_success_timestamp_seconds", {"scheduled_job": ALERTS}) > 0


def test_a_run_later_than_the_grace_time_is_counted_as_a_misfire(
    sqlite_database: Database,
) -> None:
    settings = Settings(schedule={"misfire_grace_seconds": 1})  # type: ignore[arg-type]
    scheduler = build_scheduler(sqlite_database, settings, {ALERTS: lambda: None})
    start_scheduler(scheduler, paused=True)
    try:
        before = _value("golocal_job_misfires_total", {"scheduled_job": ALERTS})
        # 30 s late for a 60 s interval: no later run time has come, the grace is 1 s
        late = datetime.now(UTC) - timedelta(seconds=30)
        scheduler.modify_job(ALERTS, next_run_time=late)
        scheduler.resume()
        wait_for(
            lambda: _value("golocal_job_misfires_total", {"scheduled_job": ALERTS}) > before,
            timeout=10,
            what="the misfire counted",
        )
    finally:
        scheduler.shutdown(wait=False)


def test_a_missed_run_runs_once_when_the_next_scheduler_starts(sqlite_database: Database) -> None:
    settings = Settings()
    first = build_scheduler(sqlite_database, settings, {ALERTS: lambda: None})
    start_scheduler(first, paused=True)
    first.shutdown(wait=False)
    # what a leader that died leaves behind: a stored next run that then fell due
    due = datetime.now(UTC) - timedelta(seconds=30)
    with sqlite_database.engine.begin() as connection:
        connection.execute(
            text("UPDATE apscheduler_jobs SET next_run_time = :at WHERE id = :id"),
            {"at": due.timestamp(), "id": ALERTS},
        )
    assert stored_next_runs(sqlite_database)[ALERTS] == due

    second = build_scheduler(sqlite_database, settings, {ALERTS: lambda: None})
    start_scheduler(second, paused=True)
    try:
        (job,) = second.get_jobs()
        assert job.next_run_time <= datetime.now(UTC)  # now, once: not skipped to later
        assert job.next_run_time > due
    finally:
        second.shutdown(wait=False)


def test_the_endpoints_answer_for_health_readiness_and_metrics(sqlite_database: Database) -> None:
    server = start_health_server(sqlite_database, Settings(), "127.0.0.1:0")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert httpx.get(f"{base}/healthz").text == "ok\n"
        assert httpx.get(f"{base}/readyz").status_code == 200
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert metric_value(metrics.text, "golocal_db_up") == 1.0
        assert metric_value(metrics.text, "golocal_build_info") == 1.0
        assert httpx.get(f"{base}/nope").status_code == 404
    finally:
        server.shutdown()


def test_readiness_fails_while_the_database_does_not_answer() -> None:
    unreachable = Database(create_database_engine("postgresql://golocal:pw@127.0.0.1:9/golocal"))
    server = start_health_server(unreachable, Settings(), "127.0.0.1:0")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        ready = httpx.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503
        assert "database" in ready.text
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert metric_value(httpx.get(f"{base}/metrics", timeout=30).text, "golocal_db_up") == 0.0
    finally:
        server.shutdown()
        unreachable.dispose()
