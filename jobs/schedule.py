"""The schedule: APScheduler 3.x with its SQLAlchemy job store in golocal's database.

Every job has an explicit id, ``replace_existing=True``, ``coalesce=True``,
``max_instances=1`` and a misfire grace, so a restart replaces rather than duplicates jobs
and a late or piled-up run happens once (LiteLLM's parallel spend jobs double-counted for
want of exactly that). Jobs are plain callables the composition root hands in by id — the
schedule knows *when*, never *what* — so collectors and telemetry plug in without this
module importing them.

The job store pickles a job's function by reference, not closures, so every stored job
calls :func:`run_scheduled` with its id, which looks the callable up in the runners this
process installed. The store's table (``apscheduler_jobs``) belongs to APScheduler: it is
not in golocal's metadata or migrations.

Posting exactly once is the database's decision (:mod:`golocal.db.digests`), not the
scheduler's: the digest job may run at 09:00, at start-up to catch up, and every few minutes
to retry a failed post, and still posts each week once.
"""

from __future__ import annotations

import logging
import time as time_module
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Column, Float, MetaData, String, Table, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from golocal.config.settings import Schedule, Settings
from golocal.db.database import Database
from golocal.jobs import selfmetrics
from golocal.jobs.digest import week_ended, week_of

log = logging.getLogger(__name__)

#: APScheduler's table; golocal's migrations leave it alone (``migrate.FOREIGN_TABLES``).
JOBSTORE_TABLE = "apscheduler_jobs"
#: Job ids; the composition root maps each to a callable (missing ones are not scheduled).
COLLECT = "collect_cloud"
TELEMETRY = "collect_telemetry"
ROLLUPS = "rollups"
ALERTS = "alerts"
DIGEST = "digest"
#: The same digest runner, often: a catch-up after downtime and the retry of a failed post.
DIGEST_RETRY = "digest_retry"
DIGEST_RETRY_MINUTES = 15

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RUNNERS: dict[str, Callable[[], Any]] = {}


def run_scheduled(job_id: str) -> None:
    """What every stored job calls: the runner installed for ``job_id`` in this process."""
    runner = _RUNNERS.get(job_id)
    if runner is None:
        log.warning("scheduled job %s has no runner in this process; skipped", job_id)
        selfmetrics.observe_job(job_id, selfmetrics.SKIPPED, 0.0)
        return
    started = time_module.monotonic()
    try:
        runner()
    except Exception:
        # one failing run must not stop the schedule; the next run tries again
        log.exception("scheduled job %s failed", job_id)
        selfmetrics.observe_job(job_id, selfmetrics.FAILED, time_module.monotonic() - started)
        return
    selfmetrics.observe_job(job_id, selfmetrics.OK, time_module.monotonic() - started)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id, trigger, and whether it also runs right at start-up."""

    id: str
    trigger: BaseTrigger
    run_at_start: bool = False


def job_specs(settings: Settings) -> list[JobSpec]:
    """The jobs and triggers the configuration asks for (times in ``settings.timezone``)."""
    cfg = settings.schedule
    tz = settings.tz
    return [
        # at start-up, collection backfills from each source's cursor what the downtime missed
        JobSpec(COLLECT, IntervalTrigger(minutes=cfg.collect_minutes, timezone=tz), True),
        JobSpec(TELEMETRY, IntervalTrigger(seconds=cfg.telemetry_seconds, timezone=tz)),
        JobSpec(ROLLUPS, IntervalTrigger(minutes=cfg.rollup_minutes, timezone=tz)),
        JobSpec(ALERTS, IntervalTrigger(seconds=cfg.alerts_seconds, timezone=tz)),
        JobSpec(DIGEST, digest_trigger(cfg, tz)),
        JobSpec(DIGEST_RETRY, IntervalTrigger(minutes=DIGEST_RETRY_MINUTES, timezone=tz), True),
    ]


def digest_trigger(cfg: Schedule, tz: ZoneInfo) -> CronTrigger:
    """Weekly at the configured local day and time; the trigger follows DST changes."""
    return CronTrigger(
        day_of_week=cfg.digest_day_of_week,
        hour=cfg.digest_hour,
        minute=cfg.digest_minute,
        timezone=tz,
    )


def latest_digest_due(now: datetime, settings: Settings) -> datetime:
    """The most recent scheduled digest time at or before ``now`` (aware, local zone)."""
    cfg = settings.schedule
    tz = settings.tz
    local = now.astimezone(tz)
    back = (local.weekday() - _WEEKDAYS.index(cfg.digest_day_of_week)) % 7
    day = local.date() - timedelta(days=back)
    at = time(cfg.digest_hour, cfg.digest_minute)
    due = datetime.combine(day, at, tzinfo=tz)
    if due > now:
        due = datetime.combine(day - timedelta(days=7), at, tzinfo=tz)
    return due


def digest_week_due(now: datetime, settings: Settings) -> str | None:
    """The week whose digest should be posted at ``now``, or ``None``.

    A digest is due from its scheduled time until ``digest_catch_up_hours`` later; a bot that
    was down longer skips it, and one down for several weeks posts only the latest.
    """
    due = latest_digest_due(now, settings)
    if now - due > timedelta(hours=settings.schedule.digest_catch_up_hours):
        return None
    week = week_of(due.astimezone(settings.tz).date() - timedelta(days=7))
    if not week_ended(week, now, settings.tz):
        # East of UTC the scheduled local time comes before the week's last UTC day is
        # over: wait, and the retry job posts it once that day has ended.
        return None
    return week


def build_scheduler(
    database: Database, settings: Settings, runners: Mapping[str, Callable[[], Any]]
) -> BackgroundScheduler:
    """A configured, not yet started scheduler with the jobs that have runners.

    Args:
        runners: job id → callable (``COLLECT``, ``TELEMETRY``, ``ROLLUPS``, ``ALERTS``,
            ``DIGEST``; ``DIGEST_RETRY`` reuses the digest runner). Ids without a runner
            are not scheduled, and stale stored jobs of those ids are removed at start.
    """
    cfg = settings.schedule
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=database.engine, tablename=JOBSTORE_TABLE)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": cfg.misfire_grace_seconds,
        },
        timezone=settings.tz,
    )
    installed = dict(runners)
    if DIGEST in installed:
        installed.setdefault(DIGEST_RETRY, installed[DIGEST])
    _RUNNERS.clear()
    _RUNNERS.update(installed)
    scheduler.add_listener(_count_misfire, EVENT_JOB_MISSED)
    now = datetime.now(settings.tz)
    stored = stored_next_runs(database)
    for spec in job_specs(settings):
        if spec.id not in installed:
            continue
        extra: dict[str, Any] = {}
        previous = stored.get(spec.id)
        if spec.run_at_start or (previous is not None and previous <= now):
            # a run that fell due while no process was scheduling (a restart, a leader
            # that died) runs once now; coalescing folds any further missed runs into it
            extra["next_run_time"] = now
        elif previous is not None:
            extra["next_run_time"] = previous.astimezone(settings.tz)
        scheduler.add_job(
            run_scheduled,
            trigger=spec.trigger,
            args=[spec.id],
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=cfg.misfire_grace_seconds,
            **extra,
        )
    scheduler.golocal_job_ids = set(installed)
    return scheduler


def start_scheduler(scheduler: BackgroundScheduler, *, paused: bool = False) -> None:
    """Start it and drop stored jobs this process has no runner for."""
    scheduler.start(paused=paused)
    wanted: set[str] = getattr(scheduler, "golocal_job_ids", set())
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)


def stored_next_runs(database: Database) -> dict[str, datetime]:
    """Each stored job's next run time, as the last scheduling process left it."""
    table = Table(
        JOBSTORE_TABLE,
        MetaData(),
        Column("id", String(191)),
        Column("next_run_time", Float),
    )
    try:
        with database.engine.connect() as connection:
            rows = connection.execute(select(table.c.id, table.c.next_run_time)).all()
    except (OperationalError, ProgrammingError):
        return {}  # no job store yet: the first start of a scheduler on this database
    return {job_id: datetime.fromtimestamp(when, UTC) for job_id, when in rows if when is not None}


def _count_misfire(event: JobExecutionEvent) -> None:
    log.warning("scheduled job %s missed its run at %s", event.job_id, event.scheduled_run_time)
    selfmetrics.observe_misfire(event.job_id)
