"""The ``golocal`` command line: the composition root that reads config and wires everything.

Commands live in :mod:`golocal.bot.commands`, one module per area; this module defines the
group, the shared options and the single place where errors become messages and exit codes:

* 0 success; 1 a failure (a source failed, the database is unreachable); 2 bad usage or a
  bad configuration value; 130 interrupted.
* A :class:`~golocal.errors.GolocalError` prints one line; anything unexpected prints a
  correlation id and is logged with its traceback to the log file (or shown with ``--debug``).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

import click

from golocal.bot.context import AppContext
from golocal.bot.lazy_group import LazyCommand, LazyGroup
from golocal.bot.logsetup import configure_logging, log_unexpected
from golocal.errors import ConfigError, GolocalError
from golocal.redaction import RedactingStream, register_environment

log = logging.getLogger("golocal")


# Each command's module is imported only when that command runs (see lazy_group): a command
# added here costs nothing to the others' start-up. The summary is what `golocal --help`
# lists; tests/bot/test_cold_start.py keeps it equal to the command's own docstring.
COMMANDS = {
    "run": LazyCommand(
        "golocal.bot.commands.chat",
        "run",
        "Run the bot: chat (console or Slack) and its scheduled work.",
    ),
    "ask": LazyCommand(
        "golocal.bot.commands.chat",
        "ask",
        'Ask one question, e.g. golocal ask "how many requests per day?".',
    ),
    "demo": LazyCommand(
        "golocal.bot.commands.demo",
        "demo",
        "Load synthetic data (sources named demo:…), replacing earlier demo data.",
    ),
    "report": LazyCommand(
        "golocal.bot.commands.report",
        "report",
        "Reports over the stored usage and telemetry.",
    ),
    "db": LazyCommand("golocal.bot.commands.database", "db", "Manage golocal's database schema."),
    "checklist": LazyCommand(
        "golocal.bot.commands.advisor",
        "checklist",
        "The declared checklist answers: code location, ops owner, model size, exit cost.",
    ),
    "attribute": LazyCommand(
        "golocal.bot.commands.advisor",
        "attribute",
        "Map cloud projects, workspaces and API key ids to a team and a sensitivity tag.",
    ),
    "collect": LazyCommand(
        "golocal.bot.commands.collect",
        "collect",
        "Run the collectors once: every configured source, or the named ones.",
    ),
    "sources": LazyCommand(
        "golocal.bot.commands.collect",
        "sources",
        "Every source: configured?, last success, last error, cursor; Slack channels held back.",
    ),
    "reprice": LazyCommand(
        "golocal.bot.commands.collect",
        "reprice",
        "Recompute estimated cloud costs since DATE from the current price table.",
    ),
    "digest": LazyCommand(
        "golocal.bot.commands.digest",
        "digest",
        "The weekly digest: volume vs the thresholds, spend, local GPUs, alerts.",
    ),
    "alerts": LazyCommand("golocal.bot.commands.alerts", "alerts", "Alert rules and incidents."),
    "agent": LazyCommand(
        "golocal.bot.commands.agent",
        "agent",
        "Sample this node's NVIDIA GPUs through NVML and serve them for golocal to scrape.",
    ),
    "fit": LazyCommand(
        "golocal.bot.commands.fit",
        "fit",
        "Whether a model fits our GPUs (or named ones): sessions, memory, decode speed.",
    ),
}


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # the version is looked up only when asked for: the package metadata reader costs
    # every other command's start-up some 12 ms
    if not value or ctx.resilient_parsing:
        return
    from golocal import __version__

    click.echo(f"golocal, version {__version__}")
    ctx.exit()


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="GOLOCAL_CONFIG",
    help="TOML configuration file (default: $GOLOCAL_CONFIG).",
)
@click.option(
    "--debug", is_flag=True, envvar="GOLOCAL_DEBUG", help="Show tracebacks and debug logs."
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """golocal: should we run our AI coding assistance locally, in the cloud, or both?

    It measures what the team really uses (cloud APIs and its own GPUs), stores it, and
    answers from that evidence. Start with `golocal demo` and `golocal run`.
    """
    app = AppContext(config_path=config_path, debug=debug)
    ctx.obj = app
    ctx.call_on_close(app.close)
    configure_logging(debug)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``golocal`` console script."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("GOLOCAL_DEBUG", "") not in {"", "0"}
    register_environment()
    # every printed line passes the redaction border, whichever code printed it
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
    try:
        _main(args, debug)
    finally:
        sys.stdout, sys.stderr = streams


def _main(args: list[str], debug: bool) -> None:
    try:
        cli.main(args=args, prog_name="golocal", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        click.echo(exc.message, err=True)
        sys.exit(2)
    except GolocalError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)

    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        failure = _database_failure(exc)
        if failure is not None:  # the database failed under a command (gone, refused, …)
            if debug:
                traceback.print_exc()
            click.echo(f"error: {failure}", err=True)
            sys.exit(1)
        if debug:  # the traceback too goes through the redacting stderr
            traceback.print_exc()
            sys.exit(1)
        click.echo(f"error: {log_unexpected(exc)}", err=True)
        sys.exit(1)
    sys.exit(0)


def _database_failure(exc: Exception) -> str | None:
    """One line for a driver error from the database, or ``None`` for anything else."""
    if "sqlalchemy" not in sys.modules:  # imported lazily: no database was opened
        return None
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    from golocal.db.database import describe_failure

    return describe_failure(exc)
