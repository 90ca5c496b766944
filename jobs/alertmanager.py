"""golocal's incidents into an Alertmanager, beside Slack: its v2 ``POST /api/v2/alerts``.

Teams that page through Alertmanager get golocal's incidents (volume, saturation,
throttling, a stale or failing source, the budget, …) with their own grouping, silences,
inhibitions and receivers. The API is Alertmanager's OpenAPI spec
(prometheus/alertmanager ``api/v2/openapi.yaml``, ``postableAlerts``): a JSON list of
``{labels, annotations, startsAt, endsAt, generatorURL}``.

Like Prometheus, golocal re-sends every firing incident on each evaluation with an
``endsAt`` a few evaluations ahead, so an incident golocal stops sending (golocal down)
resolves by itself rather than firing forever; a resolved incident is sent with its real
resolve time as ``endsAt`` for a while after it resolved, so a delivery that failed once is
made good on the next evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import httpx

from golocal.db.alerts import Incident

log = logging.getLogger(__name__)

#: The alert rules (the ``rule`` label; bounded, for ``golocal_alerts_firing`` too).
ALERT_RULES = (
    "volume",
    "gpu_saturation",
    "server_saturation",
    "gpu_throttling",
    "gpu_temperature",
    "gpu_lost",
    "source_failing",
    "source_stale",
    "budget",
    "spend_anomaly",
    "unpriced_usage",
)
#: A firing incident's ``endsAt`` is this many evaluation intervals ahead (as Prometheus).
RESEND_INTERVALS = 4
MIN_HOLD = timedelta(minutes=3)
#: How long after resolving an incident is still sent as resolved.
RESOLVED_RESEND = timedelta(minutes=15)


def alert_name(rule: str) -> str:
    """``source_stale`` → ``GolocalSourceStale``."""
    return "Golocal" + "".join(part.capitalize() for part in rule.split("_"))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def postable_alerts(
    incidents: Iterable[Incident], *, now: datetime, interval: timedelta
) -> list[dict[str, Any]]:
    """The ``postableAlerts`` body for ``incidents`` (firing and recently resolved)."""
    hold = max(interval * RESEND_INTERVALS, MIN_HOLD)
    body = []
    for incident in incidents:
        ends = incident.resolved_at if incident.resolved_at is not None else now + hold
        body.append(
            {
                "labels": {
                    "alertname": alert_name(incident.rule),
                    "service": "golocal",
                    "rule": incident.rule,
                    "key": incident.key,
                    "severity": incident.severity,
                },
                "annotations": {"summary": incident.summary},
                "startsAt": _iso(incident.first_seen),
                "endsAt": _iso(ends),
            }
        )
    return body


def send_alerts(
    url: str,
    alerts: list[dict[str, Any]],
    *,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """POST ``alerts`` to ``url``'s ``/api/v2/alerts``.

    Raises:
        AlertmanagerError: unreachable, or an answer other than 2xx (the reason says which).
    """
    if not alerts:
        return
    endpoint = url.rstrip("/") + "/api/v2/alerts"
    parsed = httpx.URL(url)
    shown = f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host  # no credentials
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(endpoint, json=alerts)
    except httpx.HTTPError as exc:
        raise AlertmanagerError(
            f"Alertmanager at {shown} unreachable ({type(exc).__name__})"
        ) from None
    if not response.is_success:
        raise AlertmanagerError(
            f"Alertmanager at {shown} answered HTTP {response.status_code}: "
            f"{response.text[:200].strip()}"
        )


class AlertmanagerError(Exception):
    """Alertmanager did not take the alerts."""
