"""``golocal demo``: load (or clear) clearly labelled synthetic data."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from golocal.bot.context import AppContext, pass_app
from golocal.jobs.demo import PROFILES, DemoOptions, clear_demo, generate_demo


@click.command()
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=30,
    show_default=True,
    help="Days of history, ending now.",
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="team",
    show_default=True,
    help="small: 1 GPU; team: 4 GPUs; fleet: 64 GPUs.",
)
@click.option("--clear", is_flag=True, help="Remove all demo data and load nothing.")
@pass_app
def demo(app: AppContext, days: int, profile: str, clear: bool) -> None:
    """Load synthetic data (sources named demo:…), replacing earlier demo data.

    Real data is never touched; `golocal demo --clear` removes the demo data again.
    """
    database = app.database
    if clear:
        removed = clear_demo(database)
        click.echo(f"removed {removed:,} demo rows")
        return
    retention = app.settings.retention
    options = DemoOptions(
        days=days,
        profile=profile,
        minute_days=retention.minute_days,
        pack_hours_after_days=retention.pack_hours_after_days,
    )
    console = Console(stderr=True)
    # A bar on a terminal; nothing at all when piped or redirected.
    with Progress(
        TextColumn("[bold]demo[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{profile}, {days} days", total=days + 1)
        summary = generate_demo(
            database,
            options,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    click.echo(summary.describe())
