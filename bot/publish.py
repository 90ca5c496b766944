"""The bot's scheduled posts: the weekly digest and alert notifications, through a poster.

This is where the data builders (:mod:`golocal.jobs.digest`, :mod:`golocal.jobs.alerts`), the
renderers and a :class:`~golocal.bot.posting.Poster` meet, and where the schedule's runners
are wired (:func:`scheduled_runners`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import httpx

from golocal.bot.alert_notify import SentNotification, held_back, note_failure, notify_alerts
from golocal.bot.posting import (
    CONSOLE_CHANNEL,
    Attachment,
    ConsolePoster,
    Message,
    Poster,
    PostError,
    SlackPoster,
)
from golocal.bot.render.chart import render_digest_chart
from golocal.bot.render.digest import digest_blocks, digest_text
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db import alerts as incidents_db
from golocal.db import deliveries
from golocal.db.digests import DigestPostError, PostOutcome, digest_post_state, post_digest_once
from golocal.errors import GolocalError
from golocal.jobs import selfmetrics
from golocal.jobs.alertmanager import (
    ALERT_RULES,
    RESOLVED_RESEND,
    AlertmanagerError,
    postable_alerts,
    send_alerts,
)
from golocal.jobs.alerts import AlertCheck, check_alerts
from golocal.jobs.collect import CollectRequest, CollectResult, collect_sources
from golocal.jobs.digest import BreakEven, Digest, build_digest, last_complete_week
from golocal.jobs.evidence import gather_evidence
from golocal.jobs.framework import assess
from golocal.jobs.schedule import (
    ALERTS,
    COLLECT,
    DIGEST,
    ROLLUPS,
    TELEMETRY,
    digest_week_due,
    latest_digest_due,
)
from golocal.jobs.telemetry import (
    SourceResult,
    collect_telemetry,
    maintain_telemetry,
    telemetry_client,
)

log = logging.getLogger(__name__)


def make_poster(settings: Settings, *, console: bool) -> Poster:
    """Slack when a bot token is set and not in console mode, else the terminal."""
    if console or settings.slack_bot_token is None:
        return ConsolePoster(sys.stdout)
    return SlackPoster(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        messages_per_second=settings.alerts.messages_per_second,
    )


def digest_channel(settings: Settings, poster: Poster) -> str | None:
    """Where the digest goes: ``console`` when printing, else ``[digest] channel``."""
    return CONSOLE_CHANNEL if isinstance(poster, ConsolePoster) else settings.digest.channel


def publish_digest(
    services: Services,
    poster: Poster,
    digest: Digest,
    channel: str,
    *,
    chart: bytes | None = None,
) -> PostOutcome:
    """Post ``digest`` to ``channel`` once per (week, channel); the chart goes in its thread.

    The message carries the key ``digest:<week>`` (Slack message metadata): a retry after a
    500-after-accept, or after a crash between posting and recording, finds it in the
    channel and does not post it again.

    Raises:
        DigestPostError: the post failed; it is recorded. ``permanent`` when only a
            configuration change can fix it (the channel is then held back until it does);
            otherwise the next run retries it.
    """
    held = held_back(services, poster, channel)
    if held is not None:
        raise DigestPostError(f"held back until the configuration changes: {held.fix}", True)
    text = digest_text(digest.data)
    blocks = digest_blocks(digest.data)
    image = chart if chart is not None else render_digest_chart(digest.data)
    refused: list[PostError] = []

    def send() -> str | None:
        try:
            ts = poster.post(
                Message(channel, text, blocks=blocks, key=f"digest:{digest.week}", kind="digest")
            )
        except PostError as exc:
            refused.append(exc)
            raise
        try:
            poster.upload(
                Attachment(
                    channel,
                    f"golocal-digest-{digest.week}.png",
                    image,
                    title=f"Requests per day, {digest.week}",
                    thread_ts=ts,
                )
            )
        except Exception as exc:
            # the message itself is out: marking it failed would post it a second time
            log.warning("the digest chart for %s could not be uploaded: %s", digest.week, exc)
        return ts

    try:
        outcome = post_digest_once(
            services.database, digest.week, channel, send, now=services.now()
        )
    except DigestPostError as exc:
        if refused and refused[0].permanent:
            note_failure(services, poster, channel, refused[0])
            raise DigestPostError(exc.reason, True) from None
        raise
    if outcome.posted_now:
        deliveries.unblock(services.database, channel)
    return outcome


def run_due_digest(
    services: Services, poster: Poster, *, break_even: BreakEven | None = None
) -> PostOutcome | None:
    """The digest job: post the due week's digest if it is due and not posted yet."""
    now = services.now()
    week = digest_week_due(now, services.settings)
    channel = digest_channel(services.settings, poster)
    if week is None or channel is None:
        return None
    known = digest_post_state(services.database, week, channel)
    if known is not None and known.state == "posted":
        return PostOutcome("already_posted", known)  # the retry job's usual case: no rebuild
    held = held_back(services, poster, channel)
    if held is not None:  # refused for a reason only a configuration change fixes
        log.warning("the digest for %s is held back: %s", week, held.fix)
        return None
    digest = build_digest(
        services.database, services.settings, week, now=now, break_even=break_even
    )
    return publish_digest(services, poster, digest, channel)


def observe_digest_state(services: Services, poster: Poster) -> None:
    """Export when the latest digest was due and whether it is out (any replica's post)."""
    channel = digest_channel(services.settings, poster)
    if channel is None:
        return
    due = latest_digest_due(services.now(), services.settings)
    state = digest_post_state(
        services.database, last_complete_week(due, services.settings.tz), channel
    )
    selfmetrics.observe_digest(due, posted=state is not None and state.state == "posted")


def run_alerts(services: Services, poster: Poster) -> tuple[AlertCheck, list[SentNotification]]:
    """The alert job: evaluate the rules once, then send what is due."""
    check = check_alerts(services.database, services.settings, services.now())
    sent = notify_alerts(services, poster)
    forward_incidents(services, check)
    try:
        export_volume(services)
    except Exception:  # a metric must never cost an alert run
        log.warning("could not export the volume metric", exc_info=True)
    return check, sent


def export_volume(services: Services) -> None:
    """The volume the chat answers (same window, same function) as a metric."""
    from golocal.bot.handlers.volume import volume_report
    from golocal.bot.periods import question_period

    settings = services.settings
    period = question_period("", services)
    report = volume_report(services, period.since, period.until)
    # the one mean per day: over the complete days with data
    known = bool(report.mean_days)
    thresholds = settings.thresholds
    selfmetrics.set_volume(
        report.mean_cloud_requests_per_day if known else None,
        report.mean_local_requests_per_day if known else None,
        cloud_ok_below=thresholds.cloud_ok_below,
        run_cost_model_above=thresholds.run_cost_model_above,
    )


def forward_incidents(services: Services, check: AlertCheck) -> bool | None:
    """After an evaluation: the firing gauge, and the incidents to ``[alerts] alertmanager_url``.

    Returns whether Alertmanager took them (``None`` when none is configured). A failure is
    logged and counted, never raised: Slack still gets its notifications.
    """
    selfmetrics.set_alerts_firing(ALERT_RULES, [incident.rule for incident in check.firing])
    url = services.settings.alerts.alertmanager_url
    if url is None:
        return None
    now = services.now()
    incidents = incidents_db.recent_incidents(services.database, since=now - RESOLVED_RESEND)
    interval = timedelta(seconds=services.settings.schedule.alerts_seconds)
    try:
        send_alerts(url, postable_alerts(incidents, now=now, interval=interval))
    except AlertmanagerError as exc:
        log.warning("%s", exc)
        selfmetrics.ALERTMANAGER_SENDS.labels(selfmetrics.FAILED).inc()
        return False
    selfmetrics.ALERTMANAGER_SENDS.labels(selfmetrics.OK).inc()
    return True


def advisor_break_even(services: Services) -> BreakEven | None:
    """The advisor's break-even (requests/day) for the days before ``until``.

    It prices the configured hardware profile on the evidence of the window ending at the
    digest week's end; ``None`` where the advisor cannot say (too little data, no priced
    cloud usage), and the digest then shows the thresholds alone.
    """

    def compute(_since: date, until: date) -> float | None:
        try:
            result = assess(
                gather_evidence(services.database, services.settings, until), services.settings
            )
        except GolocalError as exc:
            log.warning("no break-even for the digest: %s", exc.message)
            return None
        return None if result.break_even is None else float(result.break_even)

    return compute


def collect_cloud(services: Services) -> list[CollectResult]:
    """The hourly collection: every configured cloud source from its cursor.

    Each source re-collects its last ``collection.recollect_days`` (providers settle late)
    and, after downtime, backfills from its cursor, so the start-up run fills the gap.
    """
    request = CollectRequest(
        settings=services.settings, database=services.database, now=services.now()
    )
    results = collect_sources(None, request)
    for result in results:
        if result.configured and not result.ok:
            log.warning("scheduled collection of %s failed: %s", result.source, result.message)
    return results


def collect_local(services: Services, client: httpx.Client) -> list[SourceResult]:
    """The telemetry job: every configured local source once, over one long-lived client."""
    results = collect_telemetry(
        services.database, services.settings, now=services.now(), client=client
    )
    for result in results:
        if not result.ok:
            log.warning("telemetry from %s failed: %s", result.source, result.message)
    return results


def collection_runners(services: Services) -> dict[str, Callable[[], Any]]:
    """Runners for ``COLLECT``, ``TELEMETRY`` and ``ROLLUPS``.

    Each is a function of ``services``; ids without a runner are not scheduled.
    """
    client = telemetry_client(services.settings)
    return {
        COLLECT: lambda: collect_cloud(services),
        TELEMETRY: lambda: collect_local(services, client),
        ROLLUPS: lambda: maintain_telemetry(
            services.database, services.settings, now=services.now()
        ),
    }


def scheduled_runners(
    services: Services,
    poster: Poster,
    *,
    extra: Mapping[str, Callable[[], Any]] | None = None,
    break_even: BreakEven | None = None,
) -> dict[str, Callable[[], Any]]:
    """Job id → runner for :func:`golocal.jobs.schedule.build_scheduler`.

    Args:
        extra: the collection, telemetry and rollup runners (``COLLECT``, ``TELEMETRY``,
            ``ROLLUPS``) where this build has them.
    """

    def digest_job() -> PostOutcome | None:
        try:
            return run_due_digest(services, poster, break_even=break_even)
        finally:
            observe_digest_state(services, poster)

    runners: dict[str, Callable[[], Any]] = {
        ALERTS: lambda: run_alerts(services, poster),
        DIGEST: digest_job,
    }
    runners.update(extra or {})
    return runners
