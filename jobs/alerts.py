"""Alert rules and incident bookkeeping (builds data; posting is the bot's job).

:func:`check_alerts` evaluates every rule once at ``now``, opens or refreshes one incident
per firing condition, resolves the incidents whose condition is gone, and
:func:`due_notifications` says which messages are due — so a condition that lasts three
hours is one incident and one message (plus rate-limited thread updates and a reminder every
``repeat_hours``), never one message per evaluation.

Rules (thresholds in ``[alerts]`` and ``[budget]``):

* ``volume``: the trailing mean daily volume crossed a threshold line. It opens at the line
  and closes only below ``line * (1 - hysteresis)``, over ``volume_days`` complete UTC days
  with at least ``volume_min_days`` of data, so a value hovering at the line does not flap.
* ``gpu_saturation`` / ``server_saturation``: every minute of the last
  ``saturation_window_minutes`` saturated (utilisation or memory; or requests waiting with
  the KV cache full). A spike shorter than the window is not an incident.
* ``gpu_throttling``, ``gpu_temperature``, ``gpu_lost``.
* ``source_failing`` / ``source_stale``: from the per-source status.
* ``budget``: month-to-date or forecast cloud spend over the monthly budget, and each
  ``[[budgets]]`` (per team or provider) past its warning percentage or over; one incident
  per budget and month, resolved when the month (or the overrun) is over.
* ``spend_anomaly``: a day's spend of a provider or team more than ``[anomaly] factor`` times
  its trailing median (see :mod:`golocal.jobs.spend_alerts`).
* ``unpriced_usage``: cloud usage with tokens but no known cost in the last two days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from golocal.config.settings import Settings
from golocal.db import alerts as incidents_db
from golocal.db.alerts import Incident
from golocal.db.database import Database
from golocal.db.models import DEMO_PREFIX
from golocal.db.sources import all_source_states
from golocal.db.windows import gpu_windows, server_windows, unpriced_usage
from golocal.jobs.ledger_read import ledger_volume_report, load_ledger

UNPRICED_LOOKBACK = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Condition:
    """A rule's finding at one evaluation: what fires, keyed for deduplication."""

    rule: str
    key: str
    severity: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    #: What a thread update is about: a change of it (not of every figure in the summary,
    #: such as a temperature) is worth an update. ``None`` means the summary itself.
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All conditions at one instant, and which rules could be judged at all."""

    at: datetime
    conditions: list[Condition]
    evaluated: frozenset[str]
    notes: list[str]


@dataclass(frozen=True, slots=True)
class AlertCheck:
    """What one :func:`check_alerts` changed, and every incident firing afterwards."""

    at: datetime
    opened: list[Incident]
    resolved: list[Incident]
    firing: list[Incident]
    notes: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "opened": [incident.as_json() for incident in self.opened],
            "resolved": [incident.as_json() for incident in self.resolved],
            "incidents": [incident.as_json() for incident in self.firing + self.resolved],
            "notes": self.notes,
        }


def _volume_conditions(
    database: Database, settings: Settings, now: datetime, firing: list[Incident]
) -> tuple[list[Condition], bool, str | None]:
    cfg = settings.alerts
    until = now.astimezone(UTC).date()
    since = until - timedelta(days=cfg.volume_days)
    report = ledger_volume_report(load_ledger(database, settings, since, until), settings)
    if report.days_with_data < cfg.volume_min_days:
        return (
            [],
            False,
            f"volume: {report.days_with_data} of {cfg.volume_min_days} days of data needed",
        )
    mean = report.mean_requests_per_day
    open_lines = {incident.key for incident in firing if incident.rule == "volume"}
    conditions = []
    lines = (settings.thresholds.cloud_ok_below, settings.thresholds.run_cost_model_above)
    for line in lines:
        key = str(line)
        floor = line * (1 - cfg.hysteresis)
        # hysteresis: opening needs the line, staying open only needs the band below it
        # the upper line is inclusive ("between" up to 2,000): crossing it means exceeding it
        crossed = mean >= line if line == lines[0] else mean > line
        if crossed or (key in open_lines and mean >= floor):
            severity = "warning" if line == lines[1] else "info"
            advice = "run the local cost model now" if line == lines[1] else "run the numbers"
            conditions.append(
                Condition(
                    "volume",
                    key,
                    severity,
                    f"Daily request volume is above {line:,}/day: mean {mean:,.0f}/day over "
                    f"the last {cfg.volume_days} days — {advice}.",
                    {
                        "line": line,
                        "mean_requests_per_day": round(mean, 1),
                        "closes_below": round(floor, 1),
                        "since": since.isoformat(),
                        "until": until.isoformat(),
                    },
                    signature=key,
                )
            )
    return conditions, True, None


def _telemetry_conditions(database: Database, settings: Settings, now: datetime) -> list[Condition]:
    cfg = settings.alerts
    window = timedelta(minutes=cfg.saturation_window_minutes)
    # the newest minute may not be written yet: one missing minute still counts as sustained
    needed = max(1, cfg.saturation_window_minutes - 1)
    conditions = []
    for gpu in gpu_windows(database, now - window, now):
        ident = str(gpu.gpu_id)
        if gpu.lost:
            conditions.append(
                Condition(
                    "gpu_lost", ident, "critical", f"{gpu.label} is lost (NVML: GPU is lost)."
                )
            )
        if gpu.minutes < needed:
            continue
        reasons = []
        if gpu.util_min is not None and gpu.util_min >= cfg.util_percent:
            reasons.append(f"utilisation ≥ {cfg.util_percent:g}%")
        if gpu.mem_fraction_min is not None and gpu.mem_fraction_min * 100 >= cfg.memory_percent:
            reasons.append(f"memory ≥ {cfg.memory_percent:g}%")
        if reasons:
            conditions.append(
                Condition(
                    "gpu_saturation",
                    ident,
                    "warning",
                    f"{gpu.label} saturated for {cfg.saturation_window_minutes}+ minutes: "
                    + ", ".join(reasons)
                    + ".",
                    {"gpu": gpu.label, "reasons": reasons},
                    signature=", ".join(reasons),
                )
            )
        if gpu.throttled_s >= cfg.throttle_seconds:
            conditions.append(
                Condition(
                    "gpu_throttling",
                    ident,
                    "warning",
                    f"{gpu.label} throttled (thermal/power) for {gpu.throttled_s:,.0f} s in the "
                    f"last {cfg.saturation_window_minutes} minutes.",
                    {"gpu": gpu.label, "throttled_s": gpu.throttled_s},
                    signature="throttled",
                )
            )
        if gpu.temp_min is not None and gpu.temp_min >= cfg.temperature_c:
            conditions.append(
                Condition(
                    "gpu_temperature",
                    ident,
                    "warning",
                    f"{gpu.label} at {gpu.temp_max:.0f} °C (≥ {cfg.temperature_c:g} °C for "
                    f"{cfg.saturation_window_minutes}+ minutes).",
                    {"gpu": gpu.label, "temp_max_c": gpu.temp_max},
                    signature="hot",
                )
            )
    for server in server_windows(database, now - window, now):
        if server.minutes < needed or server.waiting_min is None or server.kv_cache_min is None:
            continue
        if server.waiting_min > 0 and server.kv_cache_min * 100 >= cfg.kv_cache_percent:
            conditions.append(
                Condition(
                    "server_saturation",
                    server.name,
                    "warning",
                    f"Inference server {server.name}: requests waiting with the KV cache ≥ "
                    f"{cfg.kv_cache_percent:g}% for {cfg.saturation_window_minutes}+ minutes.",
                    {"server": server.name},
                )
            )
    return conditions


def _source_conditions(database: Database, settings: Settings, now: datetime) -> list[Condition]:
    cfg = settings.alerts
    conditions = []
    for state in all_source_states(database):
        if state.source.startswith(DEMO_PREFIX):
            continue
        if state.consecutive_failures >= cfg.failing_after:
            conditions.append(
                Condition(
                    "source_failing",
                    state.source,
                    "warning",
                    f"Source {state.source} failed {state.consecutive_failures} times in a "
                    f"row: {state.last_error or 'no reason recorded'}",
                    {"last_error": state.last_error},
                    signature=state.last_error or "",
                )
            )
        elif state.last_success_at is not None and now - state.last_success_at > timedelta(
            minutes=cfg.stale_minutes
        ):
            conditions.append(
                Condition(
                    "source_stale",
                    state.source,
                    "warning",
                    f"Source {state.source} has not reported since "
                    f"{state.last_success_at:%Y-%m-%d %H:%M} UTC.",
                    {"last_success_at": state.last_success_at.isoformat()},
                    signature="stale",
                )
            )
    return conditions


def _unpriced_conditions(database: Database, now: datetime) -> list[Condition]:
    return [
        Condition(
            "unpriced_usage",
            f"{row.provider}/{row.model}",
            "info",
            f"{row.provider} model {row.model or '(unnamed)'} has usage but no known price "
            f"({row.tokens:,} tokens in the last 2 days): its cost is missing from totals.",
            {"provider": row.provider, "model": row.model, "tokens": row.tokens},
            signature="unpriced",
        )
        for row in unpriced_usage(database, now - UNPRICED_LOOKBACK, now)
    ]


def evaluate_rules(
    database: Database, settings: Settings, now: datetime, firing: list[Incident]
) -> Evaluation:
    """Judge every rule at ``now``; ``firing`` gives the volume rule its hysteresis state."""
    conditions: list[Condition] = []
    evaluated = {
        "gpu_saturation",
        "server_saturation",
        "gpu_throttling",
        "gpu_temperature",
        "gpu_lost",
        "source_failing",
        "source_stale",
        "unpriced_usage",
    }
    notes = []
    volume, judged, note = _volume_conditions(database, settings, now, firing)
    conditions += volume
    if judged:
        evaluated.add("volume")
    if note:
        notes.append(note)
    conditions += _telemetry_conditions(database, settings, now)
    conditions += _source_conditions(database, settings, now)
    # always judged: removing a budget from the config resolves its incidents
    evaluated.update(("budget", "spend_anomaly"))
    from golocal.jobs.spend_alerts import spend_conditions  # it builds on Condition, above

    conditions += spend_conditions(database, settings, now)
    conditions += _unpriced_conditions(database, now)
    return Evaluation(now, conditions, frozenset(evaluated), notes)


def check_alerts(database: Database, settings: Settings, now: datetime) -> AlertCheck:
    """Evaluate once and bring the stored incidents in line with what fires now."""
    before = incidents_db.firing_incidents(database)
    evaluation = evaluate_rules(database, settings, now, before)
    was_open = {incidents_db.open_key(i.rule, i.key) for i in before}
    active = set()
    opened = []
    for condition in evaluation.conditions:
        incident = incidents_db.fire(
            database,
            rule=condition.rule,
            key=condition.key,
            severity=condition.severity,
            summary=condition.summary,
            details={
                **condition.details,
                "signature": condition.signature or condition.summary,
            },
            now=now,
        )
        dedupe = incidents_db.open_key(condition.rule, condition.key)
        active.add(dedupe)
        if dedupe not in was_open:
            opened.append(incident)
    resolved = []
    for incident in before:
        dedupe = incidents_db.open_key(incident.rule, incident.key)
        if incident.rule in evaluation.evaluated and dedupe not in active:
            closed = incidents_db.resolve(database, incident.id, now=now)
            if closed is not None:
                resolved.append(closed)
    firing = incidents_db.firing_incidents(database)
    return AlertCheck(now, opened, resolved, firing, evaluation.notes)


@dataclass(frozen=True, slots=True)
class Notification:
    """A message that is due: ``open``, ``update``, ``reminder`` or ``resolve``."""

    kind: str
    incident: Incident


def due_notifications(database: Database, settings: Settings, now: datetime) -> list[Notification]:
    """The messages due at ``now`` (group wait, update rate limit, repeat reminder).

    A snoozed incident sends nothing until the snooze ends; an acknowledged one no reminders.
    """
    cfg = settings.alerts
    due = []
    for incident in incidents_db.firing_incidents(database):
        if incident.notify_count == 0:
            if now - incident.first_seen >= timedelta(seconds=cfg.group_wait_seconds):
                due.append(Notification("open", incident))
            continue
        since_last = now - (incident.last_notified_at or incident.first_seen)
        notified = incident.details.get("_notified_signature")
        changed = notified is not None and notified != incident.details.get("signature")
        if incident.snoozed(now):
            continue  # someone snoozed it from Slack: no updates, no reminders until then
        if changed and since_last >= timedelta(minutes=cfg.update_minutes):
            due.append(Notification("update", incident))
        elif since_last >= timedelta(hours=cfg.repeat_hours) and not incident.acked_by:
            # an acknowledged incident has an owner: no reminders
            due.append(Notification("reminder", incident))
    due += [Notification("resolve", i) for i in incidents_db.pending_resolutions(database)]
    return due
