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
from golocal.db.attribution import AttributionEntry
from golocal.db.checklist import Answer, current_answers
from golocal.db.database import Database
from golocal.db.evidence import (
    GpuPower,
    ModelUsage,
    ServerLatency,
    gpu_incident_count,
    gpu_power,
    server_latency,
)
from golocal.db.inventory import GpuGroup, ServerDecode, gpu_inventory, server_decode
from golocal.db.latency import LatencyHistogram, latency_histograms
from golocal.jobs.ledger_read import ledger_volume_report, load_ledger, model_usage
from golocal.jobs.showback import all_attributions
from golocal.jobs.volume import VolumeReport

#: Weeks of history the forecast's trend is fitted over.
HISTORY_WEEKS = 26


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
    #: spend per provider to price by instead of the rows' cost (the ledger already puts
    #: billed money on the rows, so gathered evidence leaves this empty)
    billed: dict[str, Decimal] = field(default_factory=dict)
    #: the GPUs telemetry saw in the window, by model
    inventory: list[GpuGroup] = field(default_factory=list)
    #: the last HISTORY_WEEKS weeks of volume, for the forecast
    history: VolumeReport | None = None
    #: the local servers' latency histograms (TTFT, end to end, queue) over the window
    latency_histograms: list[LatencyHistogram] = field(default_factory=list)
    #: what the team's inference servers generated and for how long (capacity calibration)
    decode: list[ServerDecode] = field(default_factory=list)

    @property
    def window_days(self) -> int:
        return (self.until - self.since).days

    @property
    def sources(self) -> list[str]:
        """Every usage source with data in the window, sorted."""
        return sorted({name for day in self.volume.days for name in day.by_source})


def gather_evidence(database: Database, settings: Settings, today: date) -> Evidence:
    """The evidence for the trailing complete UTC days before today.

    The window is ``volume.window_days`` long, or ``volume.min_days`` if that is longer, so
    a window can always hold the days of data the verdict requires.
    """
    until = today
    since = until - timedelta(days=max(settings.volume.window_days, settings.volume.min_days))
    # the ledger decides money (billed where a cost report covers the day) and request counts
    # (token-only sources estimated per day), the same as every other surface; one read
    # covers the forecast's history, whose tail is the window
    first = min(since, until - timedelta(weeks=HISTORY_WEEKS))
    history_ledger = load_ledger(database, settings, first, until)
    ledger = history_ledger.slice(since, until)
    return Evidence(
        since=since,
        until=until,
        volume=ledger_volume_report(ledger, settings),
        models=model_usage(ledger),
        answers=current_answers(database),
        attributions=all_attributions(database, settings),
        gpu=gpu_power(database, since, until),
        latency=server_latency(database, since, until),
        gpu_incidents=gpu_incident_count(database, since, until),
        inventory=gpu_inventory(database, since, until),
        history=ledger_volume_report(history_ledger, settings),
        latency_histograms=latency_histograms(database, since, until),
        decode=server_decode(database, since, until),
    )
