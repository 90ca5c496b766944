"""``golocal alerts check``: evaluate the alert rules once, notify, print the incidents."""

from __future__ import annotations

import json

import click

from golocal.bot.context import AppContext, pass_app
from golocal.jobs.alerts import check_alerts


@click.group()
def alerts() -> None:
    """Alert rules and incidents."""


@alerts.command()
@click.option("--json", "as_json", is_flag=True, help="Print the incidents as JSON.")
@pass_app
def check(app: AppContext, as_json: bool) -> None:
    """Evaluate every rule once; post due notifications when Slack is configured."""
    from golocal.bot.publish import forward_incidents

    settings = app.settings
    services = app.services
    result = check_alerts(services.database, settings, services.now())
    forward_incidents(services, result)
    sent = []
    # without Slack the running bot (console mode) announces incidents; printing them here
    # must not mark them as announced
    if settings.slack_bot_token is not None and settings.alerts.channel:
        from golocal.bot.publish import make_poster, notify_alerts  # Slack only when posting

        sent = notify_alerts(services, make_poster(settings, console=False))
    if as_json:
        data = result.as_json()
        data["notified"] = [{"kind": s.kind, "incident": s.incident_id} for s in sent]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if not result.firing and not result.resolved:
        click.echo("No incidents firing.")
    for incident in result.firing:
        click.echo(
            f"FIRING   [{incident.severity}] {incident.rule} {incident.key}: {incident.summary}"
        )
    for incident in result.resolved:
        click.echo(f"RESOLVED {incident.rule} {incident.key}")
    for note in result.notes:
        click.echo(f"note: {note}")
