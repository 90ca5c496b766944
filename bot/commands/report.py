"""``golocal report``: tables (and JSON) of what the database holds."""

from __future__ import annotations

import click
from rich import box
from rich.table import Table

from golocal.bot.commands.report_gpu_detail import gpu_detail
from golocal.bot.commands.report_options import (
    emit,
    output_format,
    output_options,
    period_options,
    report_period,
    wide_console,
)
from golocal.bot.commands.report_spend import reconcile, spend
from golocal.bot.context import AppContext, pass_app
from golocal.bot.handlers.volume import volume_report
from golocal.bot.periods import open_day
from golocal.errors import UsageError
from golocal.jobs.csv_export import gpus_csv, volume_csv
from golocal.jobs.gpu_detail import MAX_GPU_HOURS, MAX_GPU_MINUTES, RESOLUTIONS
from golocal.jobs.gpu_report import GpuReport, build_gpu_report
from golocal.jobs.money import display_parts, usd_display
from golocal.jobs.periods import Period
from golocal.jobs.volume import Outcomes, VolumeReport


@click.group()
def report() -> None:
    """Reports over the stored usage and telemetry."""


report.add_command(spend)
report.add_command(reconcile)


@report.command()
@period_options
@output_options()
@pass_app
def volume(
    app: AppContext,
    period: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
    as_csv: bool,
    format_choice: str | None,
) -> None:
    """Requests, tokens and cost per UTC day, cloud vs local, by source.

    Cost is what the provider billed where its cost report covers the day (cost_basis
    "billed"), else a price-table estimate (cost_estimated). The mean per day is over the
    complete days with data (today, still running, is left out).
    """
    fmt = output_format(as_json, as_csv, format_choice)
    chosen = report_period(app, period, since, until)
    result = volume_report(app.services, chosen.since, chosen.until, open_day=open_day(chosen))
    data = {**result.as_json(), "period": chosen.to_json(result.days_with_data)}
    if emit(fmt, data, volume_csv):
        return
    if period is not None:  # a phrase in words: say how it was read
        click.echo(chosen.reading())
    wide_console().print(volume_table(result, chosen))


def _compact(value: int) -> str:
    """1,234,567 → 1.2M: token counts read at a glance."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return str(value)


def _outcome_cells(outcomes: Outcomes) -> tuple[str, str]:
    """Local aborted and failed requests (with the error rate); "—" where not reported."""
    aborted, failed, rate = outcomes.aborted_requests, outcomes.failed_requests, outcomes.error_rate
    failed_cell = "—" if failed is None else f"{failed:,}"
    if rate is not None:
        failed_cell += f" ({rate:.2%})"
    return ("—" if aborted is None else f"{aborted:,}"), failed_cell


def volume_table(result: VolumeReport, period: Period | None = None) -> Table:
    """A table a person reads at a glance: one row per day, totals, flags for estimates."""
    totals = result.as_json()["totals"]
    sources = sorted({name for day in result.days for name in day.by_source})
    local = result.has_local  # local servers: show their aborted and failed requests
    if period is None:
        title = f"Requests per day, {result.since} to {result.until} (exclusive, UTC)"
        coverage = ""
    else:
        title = f"Requests per day, {period.describe()}"
        coverage = period.coverage_text(result.days_with_data) + "\n"
    table = Table(
        title=title,
        caption=(
            f"{coverage}sources: {', '.join(sources) or 'none'}\n"
            "~ estimated (tokens without a request count, or priced from a price table); "
            "cost is billed where a cost report covers the day"
            + (
                "\nlocal aborted: cancelled by the client, counted in requests; local failed: "
                "server errors, not counted (error rate); — not reported by the server"
                if local
                else ""
            )
        ),
        show_footer=True,
    )
    peak_day = totals["peak_day"]
    # the days' amounts are rounded so that they add up to the total shown
    priced = [day for day in result.days if day.cost_usd is not None]
    shown, _ = display_parts([day.cost_usd for day in priced if day.cost_usd is not None])
    day_cost = dict(zip((day.day for day in priced), shown, strict=True))
    table.add_column("day", footer="total")
    table.add_column("requests", justify="right", footer=f"{totals['requests']:,}")
    table.add_column("cloud", justify="right", footer=f"{totals['cloud_requests']:,}")
    table.add_column("local", justify="right", footer=f"{totals['local_requests']:,}")
    table.add_column("tokens in/out", justify="right")
    table.add_column("cost", justify="right", footer=usd_display(result.total_cost, unknown="—"))
    if local:
        aborted, failed = _outcome_cells(result.outcomes)
        table.add_column("local aborted", justify="right", footer=aborted)
        table.add_column("local failed", justify="right", footer=failed)
    extra = ("", "") if local else ()
    for day in result.days:
        label = f"{day.day:%Y-%m-%d %a}" + (" ▲" if day.day.isoformat() == peak_day else "")
        if not day.has_data:
            table.add_row(label, "no data", "", "", "", "", *extra, style="dim")
            continue
        mark = "~" if day.requests_estimated else ""
        table.add_row(
            label,
            f"{mark}{day.requests:,}",
            f"{day.cloud_requests:,}",
            f"{day.local_requests:,}",
            f"{_compact(day.input_tokens)}/{_compact(day.output_tokens)}",
            usd_display(day_cost.get(day.day), unknown="—") + ("~" if day.cost_estimated else ""),
            *(_outcome_cells(day.outcomes) if local else ()),
        )
    table.add_section()
    table.add_row(
        f"mean/day ({totals['mean_days']} d)",
        f"{totals['mean_requests_per_day']:,.1f}",
        f"{result.mean_cloud_requests_per_day:,.1f}",
        f"{result.mean_local_requests_per_day:,.1f}",
        "",
        "",
        *extra,
    )
    return table


@report.command()
@period_options
@click.option(
    "--by",
    type=click.Choice(RESOLUTIONS),
    default=None,
    help="Per GPU and per minute or hour (default: one line per GPU for the period). "
    "--since/--until then also take UTC times (YYYY-MM-DDTHH:MM); --by minute covers the "
    f"last hour unless told. At most {MAX_GPU_MINUTES:,} GPU-minutes or {MAX_GPU_HOURS:,} "
    "GPU-hours per report.",
)
@click.option("--gpu", "uuids", multiple=True, metavar="UUID", help="Only this GPU (repeatable).")
@click.option("--host", "hosts", multiple=True, metavar="HOST", help="Only this host's GPUs.")
@output_options()
@pass_app
def gpus(
    app: AppContext,
    period: str | None,
    since: str | None,
    until: str | None,
    by: str | None,
    uuids: tuple[str, ...],
    hosts: tuple[str, ...],
    as_json: bool,
    as_csv: bool,
    format_choice: str | None,
) -> None:
    """Per GPU: mean/peak utilisation, memory, power, energy, saturated and throttled minutes.

    With --by minute|hour, one line per GPU and minute (hour). Minutes of a [[prometheus]]
    fleet are read from that Prometheus on demand, as far back as it keeps them; other GPUs'
    from the database. Exit code 3 when a fleet's Prometheus cannot give the minutes asked
    (unreachable, or past its retention): never a row of zeros.
    """
    fmt = output_format(as_json, as_csv, format_choice)
    if by is not None:
        gpu_detail(
            app, by=by, period=period, since=since, until=until, uuids=uuids, hosts=hosts, fmt=fmt
        )
        return
    if uuids or hosts:
        raise UsageError("--gpu and --host filter the detail: add --by minute or --by hour")
    chosen = report_period(app, period, since, until)
    since_day, until_day = chosen.since, chosen.until
    result = build_gpu_report(app.database, since_day, until_day)
    if emit(fmt, result.as_json(), gpus_csv):
        return
    if not result.gpus:
        click.echo(
            f"No GPUs known for {since_day} to {until_day}. Configure [[gpu_agents]] or "
            "[[prometheus]] and collect, or run `golocal demo`."
        )
        return
    wide_console().print(gpu_table(result))


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
