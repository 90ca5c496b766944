"""``golocal digest``: build the weekly digest, print it, or post it exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import click

from golocal.bot.context import AppContext, pass_app
from golocal.bot.publish import advisor_break_even, make_poster, publish_digest
from golocal.bot.render.chart import render_digest_chart
from golocal.bot.render.digest import digest_blocks, digest_text
from golocal.db.digests import DigestPostError
from golocal.errors import GolocalError, UsageError
from golocal.jobs.digest import build_digest, last_complete_week, parse_week


@click.command()
@click.option("--week", metavar="YYYY-Www", help="ISO week; default: the last complete week.")
@click.option("--post", is_flag=True, help="Post to [digest] channel (once per week and channel).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "blocks"]),
    default="text",
    show_default=True,
    help="What to print.",
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.png",
    help="Also write the chart to this PNG file.",
)
@pass_app
def digest(
    app: AppContext, week: str | None, post: bool, output_format: str, chart_path: Path | None
) -> None:
    """The weekly digest: volume vs the thresholds, spend, local GPUs, alerts."""
    settings = app.settings
    if week is not None:
        try:
            week = parse_week(week)
        except ValueError as exc:
            raise UsageError(f"--week: {exc}") from None
    if post and (settings.slack_bot_token is None or not settings.digest.channel):
        raise UsageError(
            "--post needs SLACK_BOT_TOKEN and a digest channel ([digest] channel or "
            "GOLOCAL_DIGEST_CHANNEL)"
        )
    services = app.services
    now = services.now()
    chosen = week or last_complete_week(now, settings.tz)
    built = build_digest(
        services.database, settings, chosen, now=now, break_even=advisor_break_even(services)
    )
    chart = render_digest_chart(built.data) if (post or chart_path) else None
    if chart_path is not None and chart is not None:
        try:
            chart_path.write_bytes(chart)
        except OSError as exc:
            raise GolocalError(f"cannot write {chart_path}: {exc.strerror}") from None
    if post:
        channel = settings.digest.channel
        assert channel is not None
        try:
            outcome = publish_digest(
                services, make_poster(settings, console=False), built, channel, chart=chart
            )
        except DigestPostError as exc:
            if exc.permanent:
                raise GolocalError(
                    f"the digest for {chosen} was not posted to {channel}: {exc.reason}; "
                    "it is not retried until the configuration changes",
                    exit_code=2,
                ) from None
            raise GolocalError(
                f"posting the digest for {chosen} to {channel} failed ({exc.reason}); "
                "it will be retried"
            ) from None
        if outcome.posted_now:
            click.echo(f"posted the digest for {chosen} to {channel}", err=True)
        else:
            click.echo(f"the digest for {chosen} was already posted to {channel}", err=True)
        return
    if output_format == "json":
        click.echo(json.dumps(built.data, indent=2, ensure_ascii=False))
    elif output_format == "blocks":
        click.echo(json.dumps({"blocks": digest_blocks(built.data)}, indent=2, ensure_ascii=False))
    else:
        click.echo(digest_text(built.data))
