"""The schedule: job options in the persistent store, DST, missed Mondays caught up once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect

from golocal.bot.posting import Attachment, Message
from golocal.bot.publish import run_due_digest
from golocal.bot.services import Services
from golocal.config.settings import Settings, load_settings
from golocal.db.database import Database
from golocal.db.digests import count_posted
from golocal.db.models import Base
from golocal.jobs import schedule
from golocal.jobs.schedule import (
    ALERTS,
    DIGEST,
    DIGEST_RETRY,
    JOBSTORE_TABLE,
    build_scheduler,
    digest_trigger,
    digest_week_due,
    start_scheduler,
)

BERLIN = ZoneInfo("Europe/Berlin")


def _settings(timezone: str = "Europe/Berlin") -> Settings:
    return load_settings(None).model_copy(update={"timezone": timezone})


def test_jobs_are_stored_with_ids_and_safe_options(sqlite_database: Database) -> None:
    settings = _settings()
    runners = {ALERTS: lambda: None, DIGEST: lambda: None, "collect_cloud": lambda: None}
    for _restart in range(2):
        scheduler = build_scheduler(sqlite_database, settings, runners)
        start_scheduler(scheduler, paused=True)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
    assert set(jobs) == {ALERTS, DIGEST, DIGEST_RETRY, "collect_cloud"}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == settings.schedule.misfire_grace_seconds
        assert job.func is schedule.run_scheduled
    assert jobs[ALERTS].trigger.interval == timedelta(seconds=60)
    assert jobs["collect_cloud"].trigger.interval == timedelta(hours=1)
    # the job store's table lives beside golocal's tables, not in its metadata
    assert JOBSTORE_TABLE in inspect(sqlite_database.engine).get_table_names()
    assert JOBSTORE_TABLE not in Base.metadata.tables


def test_a_stored_job_without_a_runner_is_removed(sqlite_database: Database) -> None:
    settings = _settings()
    scheduler = build_scheduler(sqlite_database, settings, {ALERTS: lambda: None, "rollups": 1})
    start_scheduler(scheduler, paused=True)
    scheduler.shutdown(wait=False)
    scheduler = build_scheduler(sqlite_database, settings, {ALERTS: lambda: None})
    start_scheduler(scheduler, paused=True)
    assert [job.id for job in scheduler.get_jobs()] == [ALERTS]
    scheduler.shutdown(wait=False)


def test_run_scheduled_survives_a_failing_runner(caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise RuntimeError("collector down")

    schedule._RUNNERS.clear()
    schedule._RUNNERS["x"] = boom
    schedule.run_scheduled("x")
    assert "scheduled job x failed" in caplog.text


def test_digest_trigger_follows_daylight_saving_time() -> None:
    settings = _settings()
    trigger = digest_trigger(settings.schedule, settings.tz)
    # Europe/Berlin moves to summer time on Sunday 2026-03-29
    first = trigger.get_next_fire_time(None, datetime(2026, 3, 20, tzinfo=BERLIN))
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    assert first.astimezone(UTC) == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert second.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert (first.hour, second.hour) == (9, 9)
    # and back in the autumn (2026-10-25)
    autumn = trigger.get_next_fire_time(None, datetime(2026, 10, 24, tzinfo=BERLIN))
    after = trigger.get_next_fire_time(autumn, autumn + timedelta(seconds=1))
    assert autumn.astimezone(UTC) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_digest_due_in_the_dst_week() -> None:
    settings = _settings()
    # Monday 2026-03-30 09:00 CEST is 07:00 UTC: due from then, for the week before
    assert digest_week_due(datetime(2026, 3, 30, 6, 59, tzinfo=UTC), settings) is None
    assert digest_week_due(datetime(2026, 3, 30, 7, 0, tzinfo=UTC), settings) == "2026-W13"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 9, 8, 59, tzinfo=BERLIN), None),
        (datetime(2026, 3, 9, 9, 0, tzinfo=BERLIN), "2026-W10"),
        (datetime(2026, 3, 10, 8, 59, tzinfo=BERLIN), "2026-W10"),  # 24 h grace
        (datetime(2026, 3, 10, 9, 1, tzinfo=BERLIN), None),
        (datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN), "2026-W13"),  # weeks down: only the last
    ],
)
def test_digest_week_due(now: datetime, expected: str | None) -> None:
    assert digest_week_due(now, _settings()) == expected


class CountingPoster:
    def __init__(self) -> None:
        self.posts: list[str] = []

    def post(self, message: Message) -> str:
        self.posts.append(message.text)
        return f"ts.{len(self.posts)}"

    def update(self, ts: str, message: Message) -> None:
        pass

    def upload(self, attachment: Attachment) -> None:
        pass


def test_a_missed_monday_is_posted_once_on_start(database: Database) -> None:
    settings = _settings().model_copy(
        update={"digest": _settings().digest.model_copy(update={"channel": "C-DIGEST"})}
    )
    poster = CountingPoster()
    # the bot was down over Monday 09:00 and starts at 14:00; then restarts at 15:00, and the
    # retry job runs every 15 minutes: still one post
    for at in ("14:00", "14:15", "15:00", "15:15"):
        hour, minute = map(int, at.split(":"))
        now = datetime(2026, 3, 9, hour, minute, tzinfo=BERLIN)
        run_due_digest(Services(settings, database, clock=lambda now=now: now), poster)
    assert len(poster.posts) == 1
    assert "2026-W10" in poster.posts[0]
    assert count_posted(database, "2026-W10") == 1
    # down for two weeks: nothing is posted for the missed weeks when it returns late
    late = datetime(2026, 3, 24, 12, 0, tzinfo=BERLIN)
    assert run_due_digest(Services(settings, database, clock=lambda: late), poster) is None
    assert len(poster.posts) == 1


def test_migrations_ignore_the_job_store_table(sqlite_database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from golocal.db.migrate import include_name

    scheduler = build_scheduler(sqlite_database, _settings(), {ALERTS: lambda: None})
    start_scheduler(scheduler, paused=True)
    scheduler.shutdown(wait=False)
    with sqlite_database.engine.connect() as connection:
        bare = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        filtered = compare_metadata(
            MigrationContext.configure(connection, opts={"include_name": include_name}),
            Base.metadata,
        )
    assert ("remove_table", JOBSTORE_TABLE) in [(diff[0], diff[1].name) for diff in bare]
    assert filtered == []
