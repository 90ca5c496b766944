"""CSV exports of the reports: a header row, decimal strings for money, UTC dates.

Pure functions from a report's JSON contract to CSV text, so the CSV and the JSON can never
say different things. Values are written as the JSON has them: money as exact decimal
strings, ``null`` as an empty cell, booleans as ``true``/``false``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(header: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text with ``header`` as the first row and one line per mapping."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in header])
    return buffer.getvalue()


VOLUME_HEADER = (
    "day",
    "source",
    "location",
    "requests",
    "requests_estimate",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "cost_estimated",
    "cost_basis",
    "aborted_requests",
    "failed_requests",
    "error_rate",
)


def volume_csv(report: Mapping[str, Any]) -> str:
    """One line per (UTC day, source) of ``report volume --json``; a day without data too."""
    rows: list[dict[str, Any]] = []
    for day in report["days"]:
        if not day["by_source"]:
            rows.append({"day": day["day"]})
        for source, values in sorted(day["by_source"].items()):
            rows.append({"day": day["day"], "source": source, **values})
    return to_csv(VOLUME_HEADER, rows)


SPEND_HEADER = (
    "since",
    "until",
    "by",
    "key",
    "cost_usd",
    "requests",
    "cost_estimated",
    "cost_basis",
    "allocated",
    "share",
)


def spend_csv(report: Mapping[str, Any]) -> str:
    """One line per row of ``report spend --json``, the unattributed spend last."""
    period = report["period"]
    common = {"since": period["since"], "until": period["until"], "by": report["by"]}
    rows = [{**common, **row} for row in report["rows"]]
    if report.get("unattributed"):
        rows.append({**common, **report["unattributed"]})
    return to_csv(SPEND_HEADER, rows)


GPU_HEADER = (
    "since",
    "until",
    "host",
    "gpu",
    "uuid",
    "name",
    "source",
    "minutes",
    "util_mean_percent",
    "util_peak_percent",
    "memory_total_mib",
    "memory_used_mean_mib",
    "memory_used_peak_mib",
    "power_mean_w",
    "power_peak_w",
    "energy_kwh",
    "energy_estimated",
    "temperature_peak_c",
    "saturated_minutes",
    "throttled_minutes",
    "lost",
    "stale",
    "last_seen",
)


def gpus_csv(report: Mapping[str, Any]) -> str:
    """One line per GPU of ``report gpus --json``."""
    common = {"since": report["since"], "until": report["until"]}
    return to_csv(GPU_HEADER, ({**common, **gpu} for gpu in report["gpus"]))
