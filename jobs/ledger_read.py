"""Reading the ledger from the database: the one way every surface gets its money and counts.

See :mod:`golocal.jobs.ledger` for the rules; this module is the I/O edge around it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.db.evidence import ModelUsage
from golocal.db.ledger import billed_lines, usage_lines
from golocal.db.outcomes import ServerOutcomes
from golocal.jobs.ledger import Entry, Ledger, build_ledger, sum_known
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
    ledger: Ledger,
    settings: Settings,
    *,
    open_day: date | None = None,
    outcomes: Mapping[tuple[date, str], ServerOutcomes] | None = None,
) -> VolumeReport:
    """The volume report of a ledger's window: the ledger's money and request estimates.

    ``open_day`` (today, when the window runs into it) is left out of the mean per day;
    ``outcomes``: local servers' aborted and failed requests (see :mod:`golocal.db.outcomes`).
    """
    return build_volume_report(
        ledger.source_days(),
        ledger.since,
        ledger.until,
        tokens_per_request=settings.volume.tokens_per_request,
        open_day=open_day,
        outcomes=outcomes,
    )


def month_spend(database: Database, settings: Settings, since: date, until: date) -> Decimal:
    """Cloud money of ``since <= day < until`` by the ledger ($0 when nothing is priced)."""
    return load_ledger(database, settings, since, until).cloud_total() or Decimal(0)


def ledger_model_usage(
    database: Database, settings: Settings, since: date, until: date
) -> list[ModelUsage]:
    """Per-model window totals with the ledger's money and request estimates."""
    return model_usage(load_ledger(database, settings, since, until))


def model_usage(ledger: Ledger) -> list[ModelUsage]:
    """Window totals per (location, source, provider, model, project, key), ledger money.

    Line items that are not model usage are rows of their own (no model, no requests).
    """
    groups: dict[tuple[str, ...], list[Entry]] = defaultdict(list)
    for entry in ledger.entries:
        key = (entry.location, entry.source, entry.provider, entry.model or entry.line_item)
        groups[(*key, entry.project, entry.api_key)].append(entry)
    rows = []
    for (location, source, provider, model, project, api_key), group in sorted(groups.items()):
        costs = [e.cost_usd for e in group if e.cost_usd is not None]
        estimates = [e.requests_estimate for e in group if e.requests_estimate is not None]
        token_only = [e for e in group if e.requests_estimate is not None]
        rows.append(
            ModelUsage(
                location=location,
                source=source,
                provider=provider,
                model=model,
                project=project,
                api_key=api_key,
                team=max((e.stored_team for e in group if e.stored_team), default=None),
                requests=sum_known(e.requests_reported for e in group),
                tokens_without_requests=sum(
                    (e.input_tokens or 0) + (e.output_tokens or 0) for e in token_only
                ),
                input_tokens=sum_known(e.input_tokens for e in group),
                output_tokens=sum_known(e.output_tokens for e in group),
                cost_usd=sum(costs, Decimal(0)) if costs else None,
                unpriced_buckets=sum(e.unpriced_buckets for e in group),
                cost_estimated=any(e.cost_estimated for e in group),
                requests_estimate=sum(estimates) if estimates else None,
            )
        )
    return rows
