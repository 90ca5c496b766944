"""``golocal run`` (the bot) and ``golocal ask`` (one question through the chat handlers)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from golocal.bot.chat import answer
from golocal.bot.console import ConsoleAdapter
from golocal.bot.context import AppContext, pass_app
from golocal.errors import GolocalError, UsageError


@click.command()
@click.option(
    "--console",
    "mode",
    flag_value="console",
    help="Talk on this terminal (default without Slack tokens).",
)
@click.option(
    "--socket",
    "mode",
    flag_value="socket",
    help="Slack Socket Mode (default with SLACK_BOT_TOKEN and SLACK_APP_TOKEN).",
)
@click.option(
    "--http",
    "http_address",
    metavar="HOST:PORT",
    help="Serve Slack's signed HTTP requests on HOST:PORT.",
)
@pass_app
def run(app: AppContext, mode: str | None, http_address: str | None) -> None:
    """Run the bot: chat (console or Slack) and its scheduled work."""
    settings = app.settings
    if http_address and mode:
        raise UsageError("choose one of --console, --socket and --http")
    if mode is None and http_address is None:
        has_tokens = settings.slack_bot_token is not None and settings.slack_app_token is not None
        mode = "socket" if has_tokens else "console"
    if http_address is not None or mode == "socket":
        raise GolocalError(
            "the Slack app is not part of this build yet; run `golocal run --console`"
        )
    services = app.services
    adapter = ConsoleAdapter(
        services,
        sys.stdin,
        sys.stdout,
        interactive=sys.stdin.isatty() and sys.stdout.isatty(),
        load_demo=lambda: _load_demo(app),
    )
    scheduler = _start_schedule(app)
    try:
        adapter.greet()
        adapter.loop()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _start_schedule(app: AppContext) -> Any:
    """The scheduled work (digest, alerts; collection where plugged in), printing to stdout."""
    if not app.settings.schedule.enabled:
        return None
    from golocal.bot.publish import (
        advisor_break_even,
        collection_runners,
        make_poster,
        scheduled_runners,
    )
    from golocal.jobs.schedule import build_scheduler, start_scheduler

    services = app.services
    poster = make_poster(app.settings, console=True)
    runners = scheduled_runners(
        services,
        poster,
        extra=collection_runners(services),
        break_even=advisor_break_even(services),
    )
    scheduler = build_scheduler(app.database, app.settings, runners)
    start_scheduler(scheduler)
    return scheduler


def _load_demo(app: AppContext) -> str:
    from golocal.jobs.demo import DemoOptions, generate_demo

    summary = generate_demo(app.database, DemoOptions(days=30, profile="team"), progress=None)
    return summary.describe()


@click.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the reply's data as JSON.")
@pass_app
def ask(app: AppContext, text: tuple[str, ...], as_json: bool) -> None:
    """Ask one question, e.g. golocal ask "how many requests per day?"."""
    reply = answer(" ".join(text), app.services)
    if as_json:
        click.echo(json.dumps(reply.as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(reply.text)
