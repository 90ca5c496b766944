"""``golocal run`` (the bot) and ``golocal ask`` (one question through the chat handlers)."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from golocal.bot.chat import Asked, answer
from golocal.bot.console import ConsoleAdapter
from golocal.bot.context import AppContext, pass_app
from golocal.bot.services import Actor, local_user
from golocal.config.addresses import parse_host_port
from golocal.errors import GolocalError, UsageError

if TYPE_CHECKING:
    from golocal.bot.slack.answering import Answerer


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
    callback=lambda _ctx, _param, value: _checked_address(value),
    help="Serve Slack's signed HTTP requests on HOST:PORT.",
)
@pass_app
def run(app: AppContext, mode: str | None, http_address: str | None) -> None:
    """Run the bot: chat (console or Slack) and its scheduled work.

    On PostgreSQL, replicas elect one leader that runs the scheduled jobs; with
    [metrics] listen set, /metrics, /healthz and /readyz are served there.
    """
    settings = app.settings  # a bad configuration stops here, before any work
    if http_address and mode:
        raise UsageError("choose one of --console, --socket and --http")
    if mode is None and http_address is None:
        has_tokens = settings.slack_bot_token is not None and settings.slack_app_token is not None
        mode = "socket" if has_tokens else "console"
    _serve_health(app)
    if http_address is not None or mode == "socket":
        scheduler = _start_schedule(app, console=False)
        try:
            if http_address is not None:
                _run_http(app, http_address)
            else:
                _run_socket(app)
        finally:
            if scheduler is not None:
                scheduler.shutdown()
        return
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
            scheduler.shutdown()


def _serve_health(app: AppContext) -> None:
    """``/metrics``, ``/healthz`` and ``/readyz`` when ``[metrics] listen`` is set."""
    listen = app.settings.metrics.listen
    if listen is None:
        return
    from golocal.jobs.health_server import start_health_server

    try:
        start_health_server(app.database, app.settings, listen)
    except OSError as exc:
        raise GolocalError(f"metrics.listen: cannot listen on {listen} ({exc.strerror})") from None
    click.echo(f"golocal: serving /metrics, /healthz and /readyz on http://{listen}", err=True)


def _checked_address(value: str | None) -> str | None:
    """``--http``'s HOST:PORT, checked while the options are parsed (exit 2, no work done)."""
    if value is None:
        return None
    try:
        parse_host_port(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--http'") from None
    return value


def _start_schedule(app: AppContext, *, console: bool = True) -> Any:
    """The scheduled work (digest, alerts, collection), run while this process leads.

    Posts go to the terminal in console mode, to Slack when the bot runs there. On
    PostgreSQL the replicas elect one leader that runs the jobs; on SQLite a second
    ``golocal run`` on the same file is refused.
    """
    if not app.settings.schedule.enabled:
        return None
    from golocal.db.leader import leader_lock
    from golocal.jobs.leadership import Leadership

    lock = leader_lock(app.database)
    leadership = Leadership(
        lock,
        lambda: _build_schedule(app, console=console),
        retry_seconds=app.settings.schedule.leader_retry_seconds,
    )
    leadership.start()
    return leadership


def _build_schedule(app: AppContext, *, console: bool) -> Any:
    from golocal.bot.publish import (
        advisor_break_even,
        collection_runners,
        make_poster,
        scheduled_runners,
    )
    from golocal.jobs.schedule import build_scheduler, start_scheduler

    services = app.services
    poster = make_poster(app.settings, console=console)
    runners = scheduled_runners(
        services,
        poster,
        extra=collection_runners(services),
        break_even=advisor_break_even(services),
    )
    scheduler = build_scheduler(app.database, app.settings, runners)
    start_scheduler(scheduler)
    return scheduler


def _run_http(app: AppContext, address: str) -> None:
    from golocal.bot.slack.app import create_app
    from golocal.bot.slack.http import parse_address, serve_http

    host, port = parse_address(address)
    settings = app.settings
    with _answer_workers(app) as answerer:
        slack_app = create_app(settings, app.services, http_mode=True, answerer=answerer)
        assert settings.slack_signing_secret is not None  # create_app checked it
        click.echo(f"golocal: serving Slack requests on http://{address}/slack/events", err=True)
        serve_http(slack_app, settings.slack_signing_secret.get_secret_value(), host, port)


def _run_socket(app: AppContext) -> None:
    from golocal.bot.slack.app import create_app
    from golocal.bot.slack.socket_mode import socket_mode_handler

    settings = app.settings
    if settings.slack_app_token is None:
        raise GolocalError("SLACK_APP_TOKEN is not set: Socket Mode needs the app-level token")
    with _answer_workers(app) as answerer:
        slack_app = create_app(settings, app.services, answerer=answerer)
        handler = socket_mode_handler(slack_app, settings)
        click.echo("golocal: connecting to Slack in Socket Mode", err=True)
        try:
            handler.start()
        finally:
            handler.close()


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


@contextmanager
def _answer_workers(app: AppContext) -> Iterator[Answerer | None]:
    """The worker processes that answer after the ack (none when answer_workers = 0)."""
    from golocal.bot.slack.answering import WorkerPool

    workers = app.settings.slack.answer_workers
    if workers == 0:
        yield None
        return
    # SIGTERM (systemd, docker stop) ends the bot like Ctrl-C, so the workers are stopped
    # below; uvicorn hands SIGTERM back to this handler after its own graceful shutdown.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    pool = WorkerPool(app.config_path, workers)
    try:
        pool.warm_up(workers)
        yield pool.answerer()
    finally:
        pool.close()


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
    asker = Actor(local_user(), "ask", may_change_answers=True)
    reply = answer(Asked(" ".join(text), actor=asker), app.services)
    if as_json:
        click.echo(json.dumps(reply.as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(reply.text)
