"""``golocal report``: tables (and JSON) of what the database holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import click
from rich import box
from rich.console import Console
from rich.table import Table

from golocal.bot.context import AppContext, pass_app
from golocal.bot.dates import check_range, parse_day
from golocal.bot.handlers.volume import volume_report
from golocal.jobs.gpu_report import GpuReport, build_gpu_report
from golocal.jobs.money import usd_display
from golocal.jobs.volume import VolumeReport


def _range_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--since``, ``--until`` and ``--json``, the same on every report."""
    for option in reversed(
        (
            click.option(
                "--since", metavar="DATE", help="First UTC day (YYYY-MM-DD); default: 7 days ago."
            ),
            click.option(
                "--until", metavar="DATE", help="Day after the last (exclusive); default: tomorrow."
            ),
            click.option("--json", "as_json", is_flag=True, help="Print JSON (a stable contract)."),
        )
    ):
        command = option(command)
    return command


def _day_range(since: str | None, until: str | None) -> tuple[date, date]:
    """The report's UTC days: the 7 days up to and including today unless given."""
    today = datetime.now(UTC).date()
    until_day = parse_day(until, "--until") if until else today + timedelta(days=1)
    since_day = parse_day(since, "--since") if since else until_day - timedelta(days=7)
    check_range(since_day, until_day)
    return since_day, until_day


def _console() -> Console:
    """A console that never cuts a figure short: piped output is not held to 80 columns."""
    console = Console(soft_wrap=False)
    return console if console.is_terminal else Console(soft_wrap=False, width=200)


@click.group()
def report() -> None:
    """Reports over the stored usage and telemetry."""


@report.command()
@_range_options
@pass_app
def volume(app: AppContext, since: str | None, until: str | None, as_json: bool) -> None:
    """Requests, tokens and cost per UTC day, cloud vs local, by source."""
    since_day, until_day = _day_range(since, until)
    result = volume_report(app.services, since_day, until_day)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    _console().print(volume_table(result))


def _compact(value: int) -> str:
    """1,234,567 → 1.2M: token counts read at a glance."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return str(value)


def volume_table(result: VolumeReport) -> Table:
    """A table a person reads at a glance: one row per day, totals, flags for estimates."""
    totals = result.as_json()["totals"]
    sources = sorted({name for day in result.days for name in day.by_source})
    table = Table(
        title=f"Requests per day, {result.since} to {result.until} (exclusive, UTC)",
        caption=(
            f"sources: {', '.join(sources) or 'none'}\n"
            "~ estimated (tokens without a request count, or priced from a price table)"
        ),
        show_footer=True,
    )
    peak_day = totals["peak_day"]
    table.add_column("day", footer="total")
    table.add_column("requests", justify="right", footer=f"{totals['requests']:,}")
    table.add_column("cloud", justify="right", footer=f"{totals['cloud_requests']:,}")
    table.add_column("local", justify="right", footer=f"{totals['local_requests']:,}")
    table.add_column("tokens in/out", justify="right")
    table.add_column("cost", justify="right", footer=usd_display(result.total_cost, unknown="—"))
    for day in result.days:
        label = f"{day.day:%Y-%m-%d %a}" + (" ▲" if day.day.isoformat() == peak_day else "")
        if not day.has_data:
            table.add_row(label, "no data", "", "", "", "", style="dim")
            continue
        mark = "~" if day.requests_estimated else ""
        table.add_row(
            label,
            f"{mark}{day.requests:,}",
            f"{day.cloud_requests:,}",
            f"{day.local_requests:,}",
            f"{_compact(day.input_tokens)}/{_compact(day.output_tokens)}",
            usd_display(day.cost_usd, unknown="—") + ("~" if day.cost_estimated else ""),
        )
    table.add_section()
    table.add_row("mean/day", f"{totals['mean_requests_per_day']:,.1f}", "", "", "", "")
    return table


@report.command()
@_range_options
@pass_app
def gpus(app: AppContext, since: str | None, until: str | None, as_json: bool) -> None:
    """Per GPU: mean/peak utilisation, memory, power, energy, saturated and throttled minutes."""
    since_day, until_day = _day_range(since, until)
    result = build_gpu_report(app.database, since_day, until_day)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    if not result.gpus:
        click.echo(
            f"No GPUs known for {since_day} to {until_day}. Configure [[gpu_agents]] or "
            "[[prometheus]] and collect, or run `golocal demo`."
        )
        return
    _console().print(gpu_table(result))


def _num(value: float | None, fmt: str = ",.1f", suffix: str = "") -> str:
    return "—" if value is None else f"{value:{fmt}}{suffix}"


def gpu_table(result: GpuReport) -> Table:
    """One row per GPU; lost and stale GPUs flagged, estimated energy marked ~."""
    table = Table(
        title=f"GPUs, {result.since} to {result.until} (exclusive, UTC)",
        caption="mean/peak · sat/thr: saturated/throttled · ~ estimated · — not reported",
        box=box.SIMPLE_HEAD,
        padding=0,  # the box's blank divider alone parts columns: ten of them fit 80 columns
        pad_edge=False,
    )
    for name, justify in (
        ("host", "left"),
        ("gpu", "right"),
        ("name", "left"),
        ("util %", "right"),
        ("mem GiB", "right"),
        ("power W", "right"),
        ("kWh", "right"),
        ("sat min", "right"),
        ("thr min", "right"),
        ("state", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for data in result.as_json()["gpus"]:
        mem = [
            None if data[key] is None else data[key] / 1024
            for key in ("memory_used_mean_mib", "memory_used_peak_mib")
        ]
        state = "LOST" if data["lost"] else "stale" if data["stale"] else "ok"
        if data["minutes"] == 0:
            state += ", no data"
        energy = _num(data["energy_kwh"], ",.2f") + ("~" if data["energy_estimated"] else "")
        table.add_row(
            data["host"],
            str(data["gpu"]),
            data["name"].removeprefix("NVIDIA ")
            + (f" MIG {data['mig_profile']}" if data["mig_profile"] else ""),
            f"{_num(data['util_mean_percent'], ',.0f')}/{_num(data['util_peak_percent'], ',.0f')}",
            f"{_num(mem[0])}/{_num(mem[1])}",
            f"{_num(data['power_mean_w'], ',.0f')}/{_num(data['power_peak_w'], ',.0f')}",
            energy,
            _num(data["saturated_minutes"], ",.0f"),
            _num(data["throttled_minutes"], ",.0f"),
            state,
        )
    return table
