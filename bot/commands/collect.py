"""``golocal collect``, ``golocal sources`` and ``golocal reprice``: the cloud evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from golocal.bot.context import AppContext, pass_app
from golocal.bot.dates import check_range, parse_day
from golocal.db.deliveries import blocked_channels
from golocal.errors import GolocalError, UsageError
from golocal.jobs.collect import (
    CollectRequest,
    CollectResult,
    collect_sources,
    registered_sources,
    source_entry,
)
from golocal.jobs.pricing import reprice as reprice_costs
from golocal.jobs.source_health import source_rows
from golocal.jobs.telemetry import collect_telemetry, local_sources


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
    """Every source: configured?, last success, last error, cursor; Slack channels held back."""
    rows = source_rows(app.settings, app.database, datetime.now(UTC))
    held = blocked_channels(app.database)
    if as_json:
        slack = [channel.as_json() for channel in held]
        click.echo(json.dumps({"sources": rows, "slack_not_posting": slack}, indent=2))
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
    for channel in held:
        click.echo(
            f"slack channel {channel.channel}: NOT POSTING since "
            f"{channel.failed_at:%Y-%m-%d %H:%M} UTC ({channel.error}): {channel.fix}; "
            f"{channel.skipped} post(s) held back until the configuration changes"
        )


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
