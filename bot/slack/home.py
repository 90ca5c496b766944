"""The App Home tab: a dashboard of the evidence (https://api.slack.com/surfaces/app-home).

The current verdict and zone (when the advisor is part of the build), requests/day over the
last 7 days cloud vs local, spend this month, GPU utilisation, open alerts and source health,
with the buttons "Re-run the checklist" and "Update our answers". Each part is computed on
its own: one failing part shows why, the rest of the dashboard still renders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
)
from slack_sdk.models.views import View

from golocal.bot.chat import registered_intents
from golocal.bot.handlers.volume import volume_report
from golocal.bot.render.blocks import MAX_VIEW_BLOCKS, context, cut_list, fit, header, section
from golocal.bot.replies import reply_for_error
from golocal.bot.services import Services
from golocal.db.dashboard import gpu_utilisation, open_alert_count, open_alerts
from golocal.db.deliveries import blocked_channels
from golocal.db.sources import all_source_states
from golocal.jobs.money import usd_display
from golocal.jobs.volume import volume_zone

log = logging.getLogger(__name__)

RERUN_ACTION = "golocal_rerun_checklist"
UPDATE_ANSWERS_ACTION = "golocal_update_answers"
#: Intent names under which the advisor's verdict may be registered.
VERDICT_INTENTS = ("advisor", "verdict", "should_we_go_local")
VERDICT_QUESTION = "should we go local?"


def _part(title: str, build: Callable[[], list[Block]]) -> list[Block]:
    try:
        return build()
    except Exception as exc:
        reply = reply_for_error(exc)
        return [section(f"*{title}*\n:warning: {reply.text}")]


def _verdict(services: Services) -> list[Block]:
    advisor = next((i for i in registered_intents() if i.name in VERDICT_INTENTS), None)
    if advisor is None:
        return [section("*Verdict*\nThe advisor is not part of this build yet.")]
    reply = advisor.handler(VERDICT_QUESTION, services)
    verdict = reply.data.get("verdict")
    zone = reply.data.get("zone")
    first = reply.text.splitlines()[0] if reply.text else ""
    fields = [f"*Verdict*\n{str(verdict).replace('_', ' ')}"] if verdict else []
    if zone:
        fields.append(f"*Zone*\n{zone}")
    return [section(first or "*Verdict*", fields=fields)]


def _volume(services: Services, today: date) -> list[Block]:
    report = volume_report(services, today - timedelta(days=7), today)
    if not report.days_with_data:
        return [
            section(
                "*Requests/day (7 d)*\nNo usage data yet: run `golocal collect` or `golocal demo`."
            )
        ]
    cloud = report.mean_cloud_requests_per_day
    local = report.mean_local_requests_per_day
    thresholds = services.settings.thresholds
    zone = volume_zone(
        report.mean_requests_per_day, thresholds.cloud_ok_below, thresholds.run_cost_model_above
    )
    return [
        section(
            "*Requests/day, last 7 days*",
            fields=[
                f"*Cloud*\n{cloud:,.0f}",
                f"*Local*\n{local:,.0f}",
                f"*Mean*\n{report.mean_requests_per_day:,.0f}",
                f"*Zone*\n{zone.value}",
            ],
        )
    ]


def _spend(services: Services, today: date) -> list[Block]:
    first = today.replace(day=1)
    report = volume_report(services, first, today + timedelta(days=1))
    estimated = any(day.cost_estimated for day in report.days)
    text = usd_display(report.total_cost) + (" (partly estimated)" if estimated else "")
    budget = services.settings.budget.monthly_usd
    if budget is None:
        text += " — no monthly budget set (`[budget] monthly_usd`)"
    elif report.total_cost is not None:
        share = report.total_cost / budget * 100
        over = " :warning: over budget" if report.total_cost > budget else ""
        text += f" of {usd_display(budget)} budget ({share:.0f}%){over}"
    return [section(f"*Spend this month* (since {first:%b} 1)\n{text}")]


def _gpus(services: Services, now: datetime) -> list[Block]:
    util = gpu_utilisation(services.database, now - timedelta(hours=24), now)
    if not util.gpus:
        return [section("*GPU utilisation (24 h)*\nNo local GPU telemetry.")]
    mean = "—" if util.util_mean is None else f"{util.util_mean:.0f}%"
    peak = "—" if util.util_max is None else f"{util.util_max:.0f}%"
    return [
        section(
            "*GPU utilisation (24 h)*",
            fields=[f"*GPUs*\n{util.gpus}", f"*Mean*\n{mean}", f"*Peak*\n{peak}"],
        )
    ]


def _alerts(services: Services) -> list[Block]:
    alerts = open_alerts(services.database, limit=9)
    if not alerts:
        return [section("*Open alerts*\nNone.")]
    lines = [
        f"• [{a.severity}] {a.summary} (since {a.first_seen:%Y-%m-%d %H:%M} UTC)" for a in alerts
    ]
    more = open_alert_count(services.database) - len(alerts)
    if more > 0:
        lines.append(f"and {more} more")
    return [section("*Open alerts*\n" + "\n".join(lines))]


def _sources(services: Services) -> list[Block]:
    states = all_source_states(services.database)
    held = [
        f"• :no_entry: Slack channel {c.channel}: not posting ({c.error}) — {c.fix}"
        for c in blocked_channels(services.database)
    ]
    if not states:
        return [section("*Sources*\n" + "\n".join(held or ["No source has reported yet."]))]
    lines = held
    for state in states:
        if state.failing:
            lines.append(
                f"• :x: {state.source}: {state.last_error or 'failing'} "
                f"({state.consecutive_failures} failure(s))"
            )
        else:
            when = (
                f"{state.last_success_at:%Y-%m-%d %H:%M} UTC" if state.last_success_at else "never"
            )
            lines.append(f"• :white_check_mark: {state.source}: last success {when}")
    return [section("*Sources*\n" + "\n".join(cut_list(lines, 15)))]


def home_blocks(services: Services, notice: str | None = None) -> list[Block]:
    """The dashboard's blocks, within the 100 blocks of a Home view; ``notice`` on top."""
    now = services.now().astimezone(UTC)
    today = now.date()
    blocks: list[Block] = [header("golocal — local, cloud or both?")]
    if notice:
        blocks.append(section(f":white_check_mark: {notice} ({now:%H:%M} UTC)"))
    blocks += _part("Verdict", lambda: _verdict(services))
    blocks += [DividerBlock()]
    blocks += _part("Requests/day", lambda: _volume(services, today))
    blocks += _part("Spend", lambda: _spend(services, today))
    blocks += _part("GPUs", lambda: _gpus(services, now))
    blocks += [DividerBlock()]
    blocks += _part("Open alerts", lambda: _alerts(services))
    blocks += _part("Sources", lambda: _sources(services))
    blocks += [
        ActionsBlock(
            elements=[
                ButtonElement(text="Re-run the checklist", action_id=RERUN_ACTION, style="primary"),
                ButtonElement(text="Update our answers", action_id=UPDATE_ANSWERS_ACTION),
            ]
        ),
        context(f"Updated {now:%Y-%m-%d %H:%M} UTC"),
    ]
    return fit(blocks, MAX_VIEW_BLOCKS)


def home_view(services: Services, notice: str | None = None) -> dict[str, Any]:
    """The Home tab view as a dict for views.publish (``notice``: a confirmation on top)."""
    return View(type="home", blocks=home_blocks(services, notice)).to_dict()


def publish_home(client: WebClient, build_view: Callable[[], dict[str, Any]], user_id: str) -> bool:
    """Publish the dashboard on ``user_id``'s App Home; a failure is logged with its reason."""
    try:
        view = build_view()
    except Exception as exc:
        log.error("could not build the App Home for %s: %s", user_id, reply_for_error(exc).text)
        return False
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.error(
            "could not publish the App Home for %s: Slack said %s",
            user_id,
            exc.response.get("error", exc.response.status_code),
        )
        return False
    except (SlackClientError, OSError) as exc:
        log.error("could not publish the App Home for %s: %s", user_id, exc)
        return False
    return True
