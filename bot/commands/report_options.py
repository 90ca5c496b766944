"""The options every report shares: which days (``--period``/``--since``/``--until``) and
which output (``--json``, ``--csv``, ``--format``), read the same way by each command."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import click
from rich.console import Console

from golocal.bot.context import AppContext
from golocal.bot.dates import check_range, parse_day
from golocal.errors import UsageError
from golocal.jobs.periods import Period, local_today, parse_period

#: the days a report covers when none are given: the last 7 days and today
DEFAULT_DAYS = 7
FORMATS = ("text", "json", "csv")


def period_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--period``, ``--since`` and ``--until``."""
    for option in reversed(
        (
            click.option(
                "--period",
                metavar="TEXT",
                help='A period in words: "last month", "in March", "this quarter", '
                '"last 30 days", "since Monday", "2026-03-01 to 2026-03-15".',
            ),
            click.option(
                "--since", metavar="DATE", help="First UTC day (YYYY-MM-DD); default: 7 days ago."
            ),
            click.option(
                "--until", metavar="DATE", help="Day after the last (exclusive); default: tomorrow."
            ),
        )
    ):
        command = option(command)
    return command


def output_options(*, csv: bool = True) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``--json`` (and ``--csv``, ``--format text|json|csv``)."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        options = [
            click.option("--json", "as_json", is_flag=True, help="Print JSON (a stable contract).")
        ]
        if csv:
            options += [
                click.option(
                    "--csv", "as_csv", is_flag=True, help="Print CSV (same as --format csv)."
                ),
                click.option(
                    "--format",
                    "format_choice",
                    type=click.Choice(FORMATS),
                    default=None,
                    help="Output: a table (text), JSON or CSV with a header row.",
                ),
            ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def output_format(as_json: bool, as_csv: bool = False, chosen: str | None = None) -> str:
    """The one format the flags ask for; two different ones are a usage error."""
    asked = {name for name, on in (("json", as_json), ("csv", as_csv)) if on}
    if chosen:
        asked.add(chosen)
    if len(asked) > 1:
        raise UsageError(f"choose one output format (got {', '.join(sorted(asked))})")
    return asked.pop() if asked else "text"


def report_period(
    app: AppContext, period: str | None, since: str | None, until: str | None
) -> Period:
    """The report's days: ``--period`` in words, or ``--since``/``--until``, or the default.

    "Today" is the date in the configured time zone; the days themselves are UTC days.
    """
    today = local_today(app.settings.tz)
    if period is not None:
        if since or until:
            raise UsageError("--period cannot be combined with --since/--until")
        return parse_period(period, today=today)
    until_day = parse_day(until, "--until") if until else today + timedelta(days=1)
    since_day = parse_day(since, "--since") if since else until_day - timedelta(days=DEFAULT_DAYS)
    check_range(since_day, until_day)
    return explicit_period(since_day, until_day, today, default=not (since or until))


def explicit_period(since: date, until: date, today: date, *, default: bool = False) -> Period:
    """A period from dates as given (not clipped: a report may name future days)."""
    last = until - timedelta(days=1)
    if default:
        label = f"the {DEFAULT_DAYS} days up to today"
    elif last == since:
        label = since.isoformat()
    else:
        label = f"{since.isoformat()} to {last.isoformat()}"
    return Period(since, until, label, through_today=since <= today < until)


def wide_console() -> Console:
    """A console that never cuts a figure short: piped output is not held to 80 columns."""
    console = Console(soft_wrap=False)
    return console if console.is_terminal else Console(soft_wrap=False, width=200)


def emit(fmt: str, data: dict[str, Any], to_csv: Callable[[dict[str, Any]], str]) -> bool:
    """Print ``data`` as JSON or CSV when that is the format asked; ``False`` for text."""
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return True
    if fmt == "csv":
        click.echo(to_csv(data), nl=False)
        return True
    return False
