"""What the advisor knows over one window, gathered from the database into one value.

:func:`gather_evidence` is the only database access of an answer: a handful of SQL aggregates
over the window (see :mod:`golocal.db.evidence`). Everything after it is pure
(:mod:`golocal.jobs.framework`), so what-if questions rerun the model on the same evidence
without touching the database again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from golocal.config.settings import Settings
from golocal.db.attribution import AttributionEntry, list_attributions
from golocal.db.checklist import Answer, current_answers
from golocal.db.database import Database
from golocal.db.evidence import (
    GpuPower,
    ModelUsage,
    ServerLatency,
    billed_cloud_spend,
    gpu_incident_count,
    gpu_power,
    model_usage,
    server_latency,
)
from golocal.db.inventory import GpuGroup, gpu_inventory
from golocal.db.usage import source_days
from golocal.jobs.request_estimate import measured_tokens_per_request
from golocal.jobs.volume import VolumeReport, build_volume_report


@dataclass(frozen=True)
class Evidence:
    """Measured and declared facts over ``since <= day < until`` (UTC days)."""

    since: date
    until: date
    volume: VolumeReport
    models: list[ModelUsage] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    attributions: list[AttributionEntry] = field(default_factory=list)
    gpu: GpuPower | None = None
    latency: ServerLatency | None = None
    gpu_incidents: int = 0
    #: spend per provider from the providers' own cost reports, where collected
    billed: dict[str, Decimal] = field(default_factory=dict)
    #: the GPUs telemetry saw in the window, by model
    inventory: list[GpuGroup] = field(default_factory=list)

    @property
    def window_days(self) -> int:
        return (self.until - self.since).days

    @property
    def sources(self) -> list[str]:
        """Every usage source with data in the window, sorted."""
        return sorted({name for day in self.volume.days for name in day.by_source})


def config_attributions(settings: Settings) -> list[AttributionEntry]:
    """Attributions declared in the TOML file (``[[advisor.attribution]]``)."""
    return [
        AttributionEntry(
            provider=rule.provider,
            kind=rule.kind,
            external_id=rule.id,
            team=rule.team,
            sensitivity=rule.sensitivity,
            label=None,
            updated_by="config",
            updated_at=None,
        )
        for rule in settings.advisor.attribution
    ]


def gather_evidence(database: Database, settings: Settings, today: date) -> Evidence:
    """The evidence for the trailing complete UTC days before today.

    The window is ``volume.window_days`` long, or ``volume.min_days`` if that is longer, so
    a window can always hold the days of data the verdict requires.
    """
    until = today
    since = until - timedelta(days=max(settings.volume.window_days, settings.volume.min_days))
    rows = source_days(database, since, until)
    volume = build_volume_report(
        rows,
        since,
        until,
        # token-only sources (Anthropic) are estimated with the team's own tokens/request
        tokens_per_request=measured_tokens_per_request(rows, settings.volume.tokens_per_request),
    )
    stored = list_attributions(database)
    stored_keys = {(a.provider, a.kind, a.external_id) for a in stored}
    # A mapping stored with `golocal attribute` wins over the same one in the config file.
    configured = [
        a
        for a in config_attributions(settings)
        if (a.provider, a.kind, a.external_id) not in stored_keys
    ]
    return Evidence(
        since=since,
        until=until,
        volume=volume,
        models=model_usage(database, since, until),
        answers=current_answers(database),
        attributions=[*stored, *configured],
        gpu=gpu_power(database, since, until),
        latency=server_latency(database, since, until),
        gpu_incidents=gpu_incident_count(database, since, until),
        billed=billed_cloud_spend(database, since, until),
        inventory=gpu_inventory(database, since, until),
    )
