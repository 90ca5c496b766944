"""``golocal report gpus --by minute|hour``: per GPU and per minute or hour.

Minutes of a ``[[prometheus]]`` fleet are read from its Prometheus on demand; the rest come
from the database (see :mod:`golocal.jobs.gpu_detail`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from rich import box
from rich.console import Console
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
    with _fleet_client(app, by) as client:
        detail = build_gpu_detail(
            app.database, app.settings, by=by, since=start, until=end, uuids=uuids,
            hosts=hosts, client=client,
        )  # fmt: skip
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


@contextmanager
def _fleet_client(app: AppContext, by: str) -> Iterator[Any]:
    """The HTTP client of a read from fleets' Prometheus, counting its queries on a bar on
    a terminal (nothing when piped); ``None`` when no fleet is read."""
    if by != "minute" or not app.settings.prometheus:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from golocal.jobs.telemetry import telemetry_client

    console = Console(stderr=True)
    with (
        Progress(
            SpinnerColumn(),
            TextColumn("reading minutes from Prometheus: {task.completed} queries answered"),
            console=console,
            disable=not console.is_terminal,
            transient=True,
        ) as bar,
        telemetry_client(app.settings) as client,
    ):
        task = bar.add_task("read", total=None)
        client.event_hooks["response"] = [lambda _response: bar.advance(task)]
        yield client


def _pair(row: dict[str, Any], mean: str, peak: str, scale: float = 1.0, fmt: str = ",.0f") -> str:
    cells = ["—" if row[k] is None else f"{row[k] / scale:{fmt}}" for k in (mean, peak)]
    return "/".join(cells)


def detail_table(data: dict[str, Any], label: str) -> Table:
    """One row per GPU and minute (hour); fits 80 columns when every row has one origin."""
    origins = sorted({row["from"] for row in data["rows"]})
    mixed = len(origins) > 1
    table = Table(
        title=f"GPUs by {data['by']}, {label}",
        caption="mean/peak · sat/thr: saturated/throttled minutes · — not reported · "
        + ("from: database or prometheus:<source>" if mixed else f"from {origins[0]}"),
        box=box.SIMPLE_HEAD,
        padding=0,  # the box's blank divider alone parts columns, as in `report gpus`
        pad_edge=False,
    )
    names = ["UTC", "host", "gpu", "util %", "mem GiB", "power W", "Wh", "°C", "sat/thr"]
    for name in [*names, "from"] if mixed else names:
        justify = "left" if name in ("UTC", "host", "from") else "right"
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in data["rows"]:
        energy = row["energy_kwh"]
        table.add_row(
            datetime.fromisoformat(row["start"]).strftime("%m-%d %H:%M"),
            row["host"],
            str(row["gpu"]),
            _pair(row, "util_mean_percent", "util_peak_percent"),
            _pair(row, "memory_used_mean_mib", "memory_used_peak_mib", 1024, ",.1f"),
            _pair(row, "power_mean_w", "power_peak_w"),
            "—" if energy is None else f"{energy * 1000:,.1f}",
            "—" if row["temperature_peak_c"] is None else f"{row['temperature_peak_c']:.0f}",
            _pair(row, "saturated_minutes", "throttled_minutes", 1.0, ",.1f"),
            *([row["from"]] if mixed else []),
        )
    return table
