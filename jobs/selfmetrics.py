"""golocal's own health as Prometheus metrics: sources, jobs, Slack, alerts, the database.

One registry (:data:`REGISTRY`) holds every metric, so ``/metrics`` serves golocal's figures
and the process collectors, and nothing a library registers elsewhere. Names follow
Prometheus' conventions (https://prometheus.io/docs/practices/naming/): a ``golocal_``
prefix, base units (``_seconds``), ``_total`` for counters, and label values from closed
sets (job ids, source names from the configuration, rule ids, outcome words) — never user
input, message text or ids that grow without bound. A scheduled job is labelled
``scheduled_job``, not ``job``, which Prometheus reserves for the scrape job.

The helpers below are what the rest of golocal calls; they never raise, so counting can
never break the work being counted.
"""

from __future__ import annotations

import contextlib
import platform
import time
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)

from golocal import __version__

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

#: Outcomes are a closed set so label cardinality stays bounded.
OK, FAILED, SKIPPED = "ok", "failed", "skipped"

BUILD = Info("golocal_build", "golocal's version and Python runtime.", registry=REGISTRY)
BUILD.info({"version": __version__, "python": platform.python_version()})

SOURCE_LAST_SUCCESS = Gauge(
    "golocal_source_last_success_timestamp_seconds",
    "Unix time of the source's last successful collection.",
    ["source"],
    registry=REGISTRY,
)
SOURCE_INTERVAL = Gauge(
    "golocal_source_interval_seconds",
    "How often the schedule collects the source (for staleness rules).",
    ["source"],
    registry=REGISTRY,
)
SOURCE_COLLECTIONS = Counter(
    "golocal_source_collections",
    "Collections of a source by outcome (ok, failed).",
    ["source", "outcome"],
    registry=REGISTRY,
)
SOURCE_ERRORS = Counter(
    "golocal_source_errors",
    "Failed collections of a source.",
    ["source"],
    registry=REGISTRY,
)
SOURCE_DURATION = Histogram(
    "golocal_source_collection_duration_seconds",
    "Wall time of one collection of a source.",
    ["source"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
SOURCE_ROWS = Counter(
    "golocal_source_rows_upserted",
    "Rows a source's collections upserted into the database.",
    ["source"],
    registry=REGISTRY,
)

JOB_RUNS = Counter(
    "golocal_job_runs",
    "Scheduled job runs by job and outcome (ok, failed, skipped).",
    ["scheduled_job", "outcome"],
    registry=REGISTRY,
)
JOB_MISFIRES = Counter(
    "golocal_job_misfires",
    "Scheduled runs missed by more than the misfire grace time.",
    ["scheduled_job"],
    registry=REGISTRY,
)
JOB_LAST_SUCCESS = Gauge(
    "golocal_job_last_success_timestamp_seconds",
    "Unix time of the job's last successful run.",
    ["scheduled_job"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "golocal_job_duration_seconds",
    "Wall time of one scheduled job run.",
    ["scheduled_job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900),
    registry=REGISTRY,
)
SCHEDULER_LEADER = Gauge(
    "golocal_scheduler_leader",
    "1 while this process runs the scheduled jobs (the leader), else 0.",
    registry=REGISTRY,
)
LEADER_CHANGES = Counter(
    "golocal_scheduler_leader_changes",
    "Times this process became or stopped being the scheduler leader.",
    ["change"],
    registry=REGISTRY,
)
DIGEST_LAST_POSTED = Gauge(
    "golocal_digest_last_posted_timestamp_seconds",
    "Unix time this process last saw the due weekly digest posted (by any replica).",
    registry=REGISTRY,
)
DIGEST_DUE = Gauge(
    "golocal_digest_due_timestamp_seconds",
    "Unix time the most recent weekly digest was due.",
    registry=REGISTRY,
)

SLACK_POSTS = Counter(
    "golocal_slack_posts",
    "Messages golocal sent to Slack by kind and outcome (ok, failed).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
SLACK_ACK = Histogram(
    "golocal_slack_ack_duration_seconds",
    "Time from a Slack request's arrival to its acknowledgement (Slack allows 3 s).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
    registry=REGISTRY,
)
SLACK_ANSWERS_FAILED = Counter(
    "golocal_slack_answers_failed",
    "Questions whose answer failed with an unexpected error (logged with an incident id).",
    registry=REGISTRY,
)

ALERTS_FIRING = Gauge(
    "golocal_alerts_firing",
    "Open alert incidents by rule.",
    ["rule"],
    registry=REGISTRY,
)
ALERTMANAGER_SENDS = Counter(
    "golocal_alertmanager_notifications",
    "Batches of alerts sent to Alertmanager by outcome (ok, failed).",
    ["outcome"],
    registry=REGISTRY,
)

VOLUME = Gauge(
    "golocal_volume_requests_per_day",
    "Mean requests per day over the volume window (the chat's figure), by location.",
    ["location"],
    registry=REGISTRY,
)
VOLUME_THRESHOLD = Gauge(
    "golocal_volume_threshold_requests_per_day",
    "The decision framework's daily volume thresholds.",
    ["threshold"],
    registry=REGISTRY,
)

DB_ROUNDTRIP = Histogram(
    "golocal_db_roundtrip_duration_seconds",
    "Round trip of a trivial query (SELECT 1) to golocal's database.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
    registry=REGISTRY,
)
DB_UP = Gauge(
    "golocal_db_up",
    "1 when the last round trip to the database succeeded, else 0.",
    registry=REGISTRY,
)

#: Slack message kinds golocal sends (label values of ``golocal_slack_posts_total``).
SLACK_KINDS = ("digest", "alert", "answer", "message", "update", "upload")


def observe_source(
    source: str, *, ok: bool, seconds: float, rows: int, at: datetime | None = None
) -> None:
    """Count one collection of ``source``."""
    outcome = OK if ok else FAILED
    SOURCE_COLLECTIONS.labels(source, outcome).inc()
    SOURCE_DURATION.labels(source).observe(max(seconds, 0.0))
    if rows > 0:
        SOURCE_ROWS.labels(source).inc(rows)
    else:
        SOURCE_ROWS.labels(source)  # the series exists (at 0) from the first run
    if ok:
        SOURCE_ERRORS.labels(source)
        SOURCE_LAST_SUCCESS.labels(source).set(at.timestamp() if at else time.time())
    else:
        SOURCE_ERRORS.labels(source).inc()


def seed_source(source: str, *, last_success: datetime | None, interval_seconds: float) -> None:
    """What a restarted process knows before its first run: the stored last success."""
    SOURCE_INTERVAL.labels(source).set(interval_seconds)
    if last_success is not None:
        SOURCE_LAST_SUCCESS.labels(source).set(last_success.timestamp())


def observe_job(job: str, outcome: str, seconds: float) -> None:
    """Count one scheduled run of ``job``."""
    JOB_RUNS.labels(job, outcome).inc()
    JOB_DURATION.labels(job).observe(max(seconds, 0.0))
    if outcome == OK:
        JOB_LAST_SUCCESS.labels(job).set(time.time())


def observe_misfire(job: str) -> None:
    """Count a run the scheduler skipped because it was too late."""
    JOB_MISFIRES.labels(job).inc()


_leading: list[bool] = [False]


def set_leader(leading: bool) -> None:
    """Record whether this process runs the scheduled jobs now."""
    if leading != _leading[0]:
        LEADER_CHANGES.labels("elected" if leading else "lost").inc()
    _leading[0] = leading
    SCHEDULER_LEADER.set(1 if leading else 0)


def observe_slack_post(kind: str, ok: bool) -> None:
    """Count a message sent to Slack."""
    SLACK_POSTS.labels(kind if kind in SLACK_KINDS else "other", OK if ok else FAILED).inc()


def observe_ack(seconds: float) -> None:
    """Record the time one Slack request took to be acknowledged."""
    SLACK_ACK.observe(max(seconds, 0.0))


def observe_answer_failed() -> None:
    """Count an answer that failed with an unexpected error."""
    SLACK_ANSWERS_FAILED.inc()


def set_alerts_firing(rules: Iterable[str], firing: Iterable[str]) -> None:
    """Open incidents per rule; every known rule is exported, at 0 when quiet."""
    counts = dict.fromkeys(rules, 0)
    for rule in firing:
        counts[rule] = counts.get(rule, 0) + 1
    for rule, count in counts.items():
        ALERTS_FIRING.labels(rule).set(count)


def observe_db_roundtrip(seconds: float | None) -> None:
    """Record one database round trip; ``None`` means it failed."""
    if seconds is None:
        DB_UP.set(0)
        return
    DB_UP.set(1)
    DB_ROUNDTRIP.observe(seconds)


def set_volume(
    cloud: float | None, local: float | None, *, cloud_ok_below: int, run_cost_model_above: int
) -> None:
    """The window's mean requests per day (``None``: no data, the series is dropped)."""
    VOLUME_THRESHOLD.labels("cloud_ok_below").set(cloud_ok_below)
    VOLUME_THRESHOLD.labels("run_cost_model_above").set(run_cost_model_above)
    for location, value in (("cloud", cloud), ("local", local)):
        if value is None:
            with contextlib.suppress(KeyError):
                VOLUME.remove(location)  # unknown is not zero: no sample at all
        else:
            VOLUME.labels(location).set(value)


def observe_digest(due: datetime | None, posted: bool) -> None:
    """The digest job's view: when the latest digest was due and whether it is out."""
    if due is None:
        return
    DIGEST_DUE.set(due.timestamp())
    if posted:
        DIGEST_LAST_POSTED.set(max(time.time(), due.timestamp()))
