"""``golocal report gpus --by minute|hour``: per GPU and per minute or hour.

Minutes of a ``[[prometheus]]`` fleet are read from its Prometheus on demand; the rest come
from the database (see :mod:`golocal.jobs.gpu_detail`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from rich import box
from rich.table import Table

from golocal.bot.commands.report_options import emit, report_period, wide_console
from golocal.bot.context import AppContext
from golocal.errors import UsageError
from golocal.jobs.csv_export import to_csv
from golocal.jobs.gpu_detail import build_gpu_detail

#: the period of ``--by minute`` when none is given
DEFAULT_MINUTES = 60

DETAIL_HEADER = (
    "start",
    "host",
    "gpu",
    "uuid",
    "minutes",
    "samples",
    "util_mean_percent",
    "util_peak_percent",
    "memory_used_mean_mib",
    "memory_used_peak_mib",
    "power_mean_w",
    "power_peak_w",
    "energy_kwh",
    "temperature_peak_c",
    "saturated_minutes",
    "throttled_minutes",
    "from",
)


def detail_csv(report: dict[str, Any]) -> str:
    """One line per GPU and minute (hour) of ``report gpus --by … --json``."""
    return to_csv(DETAIL_HEADER, report["rows"])


def _moment(text: str, option: str) -> datetime:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` (UTC unless it names an offset)."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option}: {text!r} is not a date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)"
        ) from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def detail_range(
    app: AppContext, by: str, period: str | None, since: str | None, until: str | None
) -> tuple[datetime, datetime, str]:
    """The range asked: times (``--since 2026-03-02T10:00``), days, a period in words, or
    the default (the last hour for minutes, the report's days for hours)."""
    if period is None and any(t and len(t.strip()) > 10 for t in (since, until)):
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        end = _moment(until, "--until") if until else now
        start = _moment(since, "--since") if since else end - timedelta(minutes=DEFAULT_MINUTES)
        if start >= end:
            raise UsageError(f"--since {start:%Y-%m-%dT%H:%M} must be before --until")
        return start, end, f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    if by == "minute" and period is None and not (since or until):
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        return now - timedelta(minutes=DEFAULT_MINUTES), now, f"the last {DEFAULT_MINUTES} minutes"
    chosen = report_period(app, period, since, until)
    start = datetime(chosen.since.year, chosen.since.month, chosen.since.day, tzinfo=UTC)
    end = datetime(chosen.until.year, chosen.until.month, chosen.until.day, tzinfo=UTC)
    return start, end, chosen.label


def gpu_detail(
    app: AppContext,
    *,
    by: str,
    period: str | None,
    since: str | None,
    until: str | None,
    uuids: Sequence[str],
    hosts: Sequence[str],
    fmt: str,
) -> None:
    """Print the detail report in ``fmt``; notes (where minutes came from) go to stderr."""
    start, end, label = detail_range(app, by, period, since, until)
    detail = build_gpu_detail(
        app.database, app.settings, by=by, since=start, until=end, uuids=uuids, hosts=hosts
    )
    for note in detail.notes:
        click.echo(f"note: {note}", err=True)
    data = detail.as_json()
    if emit(fmt, data, detail_csv):
        return
    if not data["rows"]:
        click.echo(
            f"No GPU {by}s for {label}" + (" matching the filter." if uuids or hosts else ".")
        )
        return
    wide_console().print(detail_table(data, label))


def _pair(row: dict[str, Any], mean: str, peak: str, scale: float = 1.0, fmt: str = ",.0f") -> str:
    cells = ["—" if row[k] is None else f"{row[k] / scale:{fmt}}" for k in (mean, peak)]
    return "/".join(cells)


def detail_table(data: dict[str, Any], label: str) -> Table:
    """One row per GPU and minute (hour)."""
    by = data["by"]
    table = Table(
        title=f"GPUs by {by}, {label}",
        caption="mean/peak · sat/thr: saturated/throttled minutes · — not reported · "
        "from: database or prometheus:<source>",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
    )
    for name in ("start (UTC)", "host", "gpu", "util %", "mem GiB", "power W", "Wh", "°C",
                 "sat/thr", "from"):  # fmt: skip
        table.add_column(
            name, justify="left" if name in ("start (UTC)", "host", "from") else "right"
        )
    stamp = "%Y-%m-%d %H:%M"
    for row in data["rows"]:
        energy = row["energy_kwh"]
        table.add_row(
            datetime.fromisoformat(row["start"]).strftime(stamp),
            row["host"],
            str(row["gpu"]),
            _pair(row, "util_mean_percent", "util_peak_percent"),
            _pair(row, "memory_used_mean_mib", "memory_used_peak_mib", 1024, ",.1f"),
            _pair(row, "power_mean_w", "power_peak_w"),
            "—" if energy is None else f"{energy * 1000:,.1f}",
            "—" if row["temperature_peak_c"] is None else f"{row['temperature_peak_c']:.0f}",
            _pair(row, "saturated_minutes", "throttled_minutes", 1.0, ",.1f"),
            row["from"],
        )
    return table
