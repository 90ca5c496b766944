"""``golocal collect``, ``golocal sources`` and ``golocal reprice``: the cloud evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from golocal.bot.context import AppContext, pass_app
from golocal.bot.dates import check_range, parse_day
from golocal.db.sources import all_source_states
from golocal.errors import GolocalError, UsageError
from golocal.jobs.collect import (
    CollectRequest,
    CollectResult,
    collect_sources,
    registered_sources,
    source_entry,
)
from golocal.jobs.pricing import reprice as reprice_costs
from golocal.jobs.telemetry import collect_telemetry, local_sources, source_kind


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@click.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE ...]")
@click.option("--since", metavar="DATE", help="Backfill from this UTC day (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Backfill up to this day (exclusive).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a stable contract).")
@pass_app
def collect(
    app: AppContext, sources: tuple[str, ...], since: str | None, until: str | None, as_json: bool
) -> None:
    """Run the collectors once: every configured source, or the named ones.

    Without dates each source continues from its cursor, re-collecting the last days
    (collection.recollect_days) because providers settle late. With --since (and --until)
    it backfills that window. Exit status 1 when any requested source failed; the others
    are still collected.
    """
    local = [source.name for source in local_sources(app.settings)]
    known = [entry.name for entry in registered_sources()] + local
    for name in sources:
        if name not in known:
            raise UsageError(f"unknown source {name!r} (known: {', '.join(known)})")
    now = datetime.now(UTC)
    since_day = parse_day(since, "--since") if since else None
    until_day = parse_day(until, "--until") if until else None
    if until_day is not None and since_day is None:
        raise UsageError("--until needs --since (a backfill window)")
    if since_day is not None:
        until_day = until_day or now.date() + timedelta(days=1)
        check_range(since_day, until_day)
    request = CollectRequest(
        settings=app.settings, database=app.database, now=now, since=since_day, until=until_day
    )
    cloud_names = [name for name in sources if source_entry(name) is not None]
    local_names = [name for name in sources if name in local]
    results: list[CollectResult] = []
    if cloud_names or not sources:
        results += collect_sources(cloud_names, request)
    if local and (local_names or not sources):
        # Local telemetry has no history to backfill: one scrape of each server, now.
        results += [
            CollectResult(source=r.source, ok=r.ok, windows=1, rows=r.rows, message=r.message)
            for r in collect_telemetry(
                app.database, app.settings, names=local_names or None, now=now
            )
        ]
    if as_json:
        click.echo(json.dumps({"sources": [r.as_json() for r in results]}, indent=2))
    else:
        for r in results:
            if not r.configured:
                click.echo(f"{r.source}: not configured ({r.message})")
                continue
            click.echo(
                f"{r.source}: {r.status}, {r.windows} windows, {r.rows:,} rows upserted"
                + (f" — {r.message}" if r.message else "")
            )
    failed = [r.source for r in results if not r.ok]
    if failed:
        raise GolocalError(f"{len(failed)} of {len(results)} sources failed: {', '.join(failed)}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a stable contract).")
@pass_app
def sources(app: AppContext, as_json: bool) -> None:
    """Every source: configured?, last success, last error, cursor."""
    states = {state.source: state for state in all_source_states(app.database)}
    rows: list[dict[str, Any]] = []
    local = {source.name: source_kind(source) for source in local_sources(app.settings)}
    names = [entry.name for entry in registered_sources()] + list(local)
    names += sorted(name for name in states if name not in names)
    for name in names:
        entry = source_entry(name)
        state = states.get(name)
        missing = entry.missing(app.settings) if entry else None
        kind = entry.kind if entry else local.get(name) or (state.kind if state else "")
        rows.append(
            {
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
        )
    if as_json:
        click.echo(json.dumps({"sources": rows}, indent=2))
        return
    for row in rows:
        if not row["configured"]:
            status = f"not configured ({row['not_configured_reason'] or 'unknown source'})"
        elif row["consecutive_failures"]:
            status = f"FAILING x{row['consecutive_failures']}: {row['last_error']}"
        elif row["last_success_at"]:
            status = "ok"
        else:
            status = "never collected"
        line = (
            f"{row['source']}: {status}; last success {row['last_success_at'] or '—'}; "
            f"cursor {row['cursor'] or '—'}"
        )
        if row["last_error"] and not row["consecutive_failures"]:
            # recovered since: the last error still says what went wrong, and when
            line += f"; last error {row['last_error_at'] or '—'}: {row['last_error']}"
        for warning in row["warnings"]:
            line += f"; WARNING: {warning}"
        click.echo(line)


@click.command()
@click.option("--since", metavar="DATE", required=True, help="First UTC day to reprice.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a stable contract).")
@pass_app
def reprice(app: AppContext, since: str, as_json: bool) -> None:
    """Recompute estimated cloud costs since DATE from the current price table.

    Costs the providers reported themselves are never changed; models the table cannot
    price stay unpriced (not $0) and are listed.
    """
    day = parse_day(since, "--since")
    result = reprice_costs(app.database, datetime(day.year, day.month, day.day, tzinfo=UTC))
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    click.echo(f"repriced {result.rows:,} rows ({result.priced:,} priced)")
    if result.unpriced:
        click.echo(f"unpriced: {', '.join(result.unpriced)}")
