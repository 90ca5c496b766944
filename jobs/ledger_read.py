"""Reading the ledger from the database: the one way every surface gets its money and counts.

See :mod:`golocal.jobs.ledger` for the rules; this module is the I/O edge around it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.db.evidence import ModelUsage
from golocal.db.ledger import billed_lines, usage_lines
from golocal.jobs.ledger import Ledger, build_ledger
from golocal.jobs.volume import VolumeReport, build_volume_report


def load_ledger(database: Database, settings: Settings, since: date, until: date) -> Ledger:
    """The ledger of ``since <= day < until`` (UTC days), from the database."""
    return build_ledger(
        usage_lines(database, since, until),
        billed_lines(database, since, until),
        since,
        until,
        tokens_per_request=settings.volume.tokens_per_request,
    )


def ledger_volume_report(
    ledger: Ledger, settings: Settings, *, open_day: date | None = None
) -> VolumeReport:
    """The volume report of a ledger's window: the ledger's money and request estimates.

    ``open_day`` (today, when the window runs into it) is left out of the mean per day.
    """
    return build_volume_report(
        ledger.source_days(),
        ledger.since,
        ledger.until,
        tokens_per_request=settings.volume.tokens_per_request,
        open_day=open_day,
    )


def month_spend(database: Database, settings: Settings, since: date, until: date) -> Decimal:
    """Cloud money of ``since <= day < until`` by the ledger ($0 when nothing is priced)."""
    return load_ledger(database, settings, since, until).cloud_total() or Decimal(0)


def ledger_model_usage(
    database: Database, settings: Settings, since: date, until: date
) -> list[ModelUsage]:
    """Per-model window totals with the ledger's money and request estimates."""
    return load_ledger(database, settings, since, until).model_usage()
