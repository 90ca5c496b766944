"""``golocal report spend`` (showback by team, project, provider, model or key) and
``golocal report reconcile`` (billed against usage-priced, per provider and day)."""

from __future__ import annotations

import json

import click
from rich.table import Table

from golocal.bot.commands.report_options import (
    emit,
    output_format,
    output_options,
    period_options,
    report_period,
    wide_console,
)
from golocal.bot.context import AppContext, pass_app
from golocal.jobs.csv_export import spend_csv
from golocal.jobs.ledger_read import load_ledger
from golocal.jobs.money import display_parts, percent_parts, usd_display
from golocal.jobs.reconcile import reconcile as reconcile_rows
from golocal.jobs.showback import DIMENSIONS, UNATTRIBUTED, all_attributions, spend_by


@click.command()
@period_options
@click.option(
    "--by",
    type=click.Choice(DIMENSIONS),
    default="provider",
    show_default=True,
    help="Break the spend down by team, project, provider, model or API key id.",
)
@output_options()
@pass_app
def spend(
    app: AppContext,
    period: str | None,
    since: str | None,
    until: str | None,
    by: str,
    as_json: bool,
    as_csv: bool,
    format_choice: str | None,
) -> None:
    """Cloud spend of a period by team, project, provider, model or key (showback).

    Money is what the provider billed where its cost report covers the day (split by usage
    shares where the bill does not name the breakdown: "allocated"), else the price-table
    estimate. Attribution (`golocal attribute`, [[advisor.attribution]]) applies to past
    days too; spend no team is mapped to is shown as unattributed.
    """
    fmt = output_format(as_json, as_csv, format_choice)
    chosen = report_period(app, period, since, until)
    ledger = load_ledger(app.database, app.settings, chosen.since, chosen.until)
    result = spend_by(ledger, by, all_attributions(app.database, app.settings))
    data = {"period": chosen.to_json(ledger.days_with_data()), **result.as_json()}
    if emit(fmt, data, spend_csv):
        return
    if period is not None:  # a phrase in words: say how it was read
        click.echo(chosen.reading())
    table = Table(
        title=f"Cloud spend by {by}, {chosen.describe()}",
        caption=f"{chosen.coverage_text(ledger.days_with_data())} · "
        "billed: the provider's cost report · allocated: a bill split by usage shares · "
        "~ estimated from a price table",
        show_footer=True,
    )
    rows = [(row.key, row.cost_usd, row.requests, row.basis.value) for row in result.rows]
    if result.unattributed is not None:
        u = result.unattributed
        rows.append((UNATTRIBUTED, u.cost_usd, u.requests, u.basis.value))
    shown, total = display_parts([cost for _, cost, _, _ in rows if cost is not None])
    amounts, shares = iter(shown), iter(percent_parts(shown))
    table.add_column(by, footer="total")
    table.add_column("cost", justify="right", footer=usd_display(result.total_usd and total))
    table.add_column("share", justify="right")
    table.add_column("requests", justify="right", footer=f"{result.requests:,}")
    table.add_column("basis")
    for key, cost, requests, basis in rows:
        amount = next(amounts) if cost is not None else None
        share = next(shares) if cost is not None else ""
        mark = "~" if basis == "estimated" else ""
        table.add_row(
            key, usd_display(amount, unknown="unpriced") + mark, share, f"{requests:,}", basis
        )
    wide_console().print(table)
    if result.unpriced_models:
        click.echo(f"unpriced (not counted): {', '.join(result.unpriced_models)}")


@click.command()
@period_options
@output_options(csv=False)
@pass_app
def reconcile(
    app: AppContext, period: str | None, since: str | None, until: str | None, as_json: bool
) -> None:
    """Billed vs usage-priced estimate per provider and UTC day, flagged past the tolerance.

    A flagged day means a price table gone stale, usage that was not collected, or a bill
    not (yet) reported. The tolerance is `[reconcile] tolerance_pct` (default 5 %).
    """
    chosen = report_period(app, period, since, until)
    ledger = load_ledger(app.database, app.settings, chosen.since, chosen.until)
    tolerance = app.settings.reconcile.tolerance_pct
    rows = reconcile_rows(ledger, tolerance)
    data = {
        "period": chosen.to_json(ledger.days_with_data()),
        "tolerance_pct": float(tolerance),
        "rows": [row.as_json() for row in rows],
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    if not rows:
        click.echo(f"No provider cost report for {chosen.describe()}: nothing to reconcile.")
        return
    table = Table(
        title=f"Billed vs estimated, {chosen.describe()}",
        caption=f"! differs by more than {tolerance}% of the bill (or one side is missing)",
    )
    for name, justify in (
        ("day", "left"),
        ("provider", "left"),
        ("billed", "right"),
        ("estimated", "right"),
        ("difference", "right"),
        ("%", "right"),
        ("", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        pct = row.difference_pct
        table.add_row(
            row.day.isoformat(),
            row.provider,
            usd_display(row.billed_usd, unknown="no bill"),
            usd_display(row.estimated_usd, unknown="no usage"),
            usd_display(row.difference_usd, unknown="—"),
            "—" if pct is None else f"{pct:+.1f}%",
            "!" if row.flagged else "",
        )
    wide_console().print(table)
