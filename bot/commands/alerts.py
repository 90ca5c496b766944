"""``golocal alerts check``: evaluate the alert rules once, notify, print the incidents."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import click

from golocal.bot.context import AppContext, pass_app
from golocal.errors import GolocalError
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
    sent, failed = [], []
    # without Slack the running bot (console mode) announces incidents; printing them here
    # must not mark them as announced
    if settings.slack_bot_token is not None and settings.alerts.channel:
        from golocal.bot.alert_notify import deliver_alerts  # Slack only when posting
        from golocal.bot.publish import make_poster

        delivery = deliver_alerts(
            services, make_poster(settings, console=False), settings.alerts.channel
        )
        sent, failed = delivery.sent, delivery.failed
    if as_json:
        data = result.as_json()
        data["notified"] = [{"kind": s.kind, "incident": s.incident_id} for s in sent]
        data["not_notified"] = [
            {"kind": f.kind, "incident": f.incident_id, "channel": f.channel, "reason": f.reason}
            for f in failed
        ]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        _fail_if_undelivered(failed)
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
    _fail_if_undelivered(failed)


def _fail_if_undelivered(failed: list[Any]) -> None:
    """Exit 2 when Slack refused for a configuration reason, 1 when it may work later."""
    if not failed:
        return
    reasons = Counter(f"{f.channel}: {f.reason}" for f in failed)
    permanent = any(f.permanent for f in failed)
    for reason, count in sorted(reasons.items()):
        click.echo(f"error: {count} alert message(s) not sent to {reason}", err=True)
    if not permanent:
        click.echo("they will be retried on the next check", err=True)
    raise GolocalError(
        "alert messages were not delivered" + ("" if permanent else " (will be retried)"),
        exit_code=2 if permanent else 1,
    )
