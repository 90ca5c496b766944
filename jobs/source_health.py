"""Every source's health in one list: configured?, last success, last error, stale or failing.

``golocal sources`` and the chat's ``sources`` answer read the same rows, so the two never
disagree. A source is *failing* after a failed collection (until one succeeds), *stale* when
its last success is older than ``[alerts] stale_minutes`` (the alert rule's threshold),
*never collected* when configured but never run, and *ok* otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.db.sources import all_source_states
from golocal.jobs.collect import registered_sources, source_entry
from golocal.jobs.telemetry import local_sources, source_kind


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def health(row: dict[str, Any], now: datetime, stale_minutes: int) -> str:
    """``not_configured``, ``failing``, ``stale``, ``never_collected`` or ``ok``."""
    if not row["configured"]:
        return "not_configured"
    if row["consecutive_failures"]:
        return "failing"
    last = row["last_success_at"]
    if last is None:
        return "never_collected"
    if now - datetime.fromisoformat(last) > timedelta(minutes=stale_minutes):
        return "stale"
    return "ok"


def source_rows(settings: Settings, database: Database, now: datetime) -> list[dict[str, Any]]:
    """One row per known source (cloud, local, and any with stored status), with its health."""
    states = {state.source: state for state in all_source_states(database)}
    local = {source.name: source_kind(source) for source in local_sources(settings)}
    names = [entry.name for entry in registered_sources()] + list(local)
    names += sorted(name for name in states if name not in names)
    rows: list[dict[str, Any]] = []
    for name in names:
        entry = source_entry(name)
        state = states.get(name)
        missing = entry.missing(settings) if entry else None
        kind = entry.kind if entry else local.get(name) or (state.kind if state else "")
        row = {
            "source": name,
            "kind": kind,
            "configured": (entry is not None and missing is None) or name in local,
            "not_configured_reason": missing,
            "cursor": _iso(state.cursor if state else None),
            "last_success_at": _iso(state.last_success_at if state else None),
            "last_error": state.last_error if state else None,
            "last_error_at": _iso(state.last_error_at if state else None),
            "consecutive_failures": state.consecutive_failures if state else 0,
            # what the last successful run could not see (a LiteLLM key that is not an
            # admin's counts one user's traffic only)
            "warnings": list((state.state or {}).get("warnings") or []) if state else [],
        }
        row["health"] = health(row, now, settings.alerts.stale_minutes)
        rows.append(row)
    return rows
