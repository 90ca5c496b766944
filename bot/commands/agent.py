"""``golocal agent``: the GPU node agent (NVML sampled, served as Prometheus text and JSON)."""

from __future__ import annotations

import json
import signal

import click

from golocal.bot.context import AppContext, pass_app
from golocal.errors import GolocalError, UsageError
from golocal.jobs.agent import GpuAgent, make_server, sample_json
from golocal.jobs.http_serving import parse_listen
from golocal.jobs.sources.nvml import GpuReading


@click.command()
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Serve /metrics and /v1/sample here (default: agent.listen, 127.0.0.1:9835).",
)
@click.option("--once", is_flag=True, help="Take one sample, print it and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --once: print JSON.")
@pass_app
def agent(app: AppContext, listen: str | None, once: bool, as_json: bool) -> None:
    """Sample this node's NVIDIA GPUs through NVML and serve them for golocal to scrape.

    Without NVML (no driver, no GPU) it still runs and says why there is no telemetry:
    `--once --json` prints "gpus": [] and the reason, with exit code 0.
    """
    config = app.settings.agent
    gpu_agent = GpuAgent(host=config.host, sample_seconds=config.sample_seconds)
    if as_json and not once:
        raise UsageError("--json needs --once (the server answers JSON on /v1/sample)")
    if once:
        sample = gpu_agent.sample_once()
        if as_json:
            click.echo(json.dumps(sample_json(sample, gpu_agent.host), indent=2))
            return
        if sample.unavailable:
            click.echo(sample.unavailable)
        for gpu in sample.gpus:
            click.echo(_describe(gpu_agent.host, gpu))
        return
    try:
        host, port = parse_listen(listen or config.listen)
    except ValueError as exc:
        raise UsageError(f"--listen: {exc}") from None
    try:
        server = make_server(gpu_agent, host, port)
    except OSError as exc:
        raise GolocalError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    # SIGTERM (systemd, docker stop) ends the agent like Ctrl-C: the sampler stops, the socket
    # closes and NVML is shut down at exit.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    gpu_agent.start_sampling()
    sample = gpu_agent.latest
    click.echo(
        f"golocal agent on http://{host}:{server.server_address[1]}/metrics "
        f"({len(sample.gpus)} GPUs{'; ' + sample.unavailable if sample.unavailable else ''})",
        err=True,
    )
    try:
        server.serve_forever()
    finally:
        gpu_agent.stop()
        server.server_close()


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _describe(host: str, gpu: GpuReading) -> str:
    data = gpu.as_json()
    if data["lost"]:
        return f"{host} gpu{data['index']} {data['uuid'] or '?'}: LOST"
    parts = [f"{host} gpu{data['index']} {data['name']}"]
    for key, label, unit in (
        ("util_percent", "util", "%"),
        ("power_w", "power", " W"),
        ("temperature_c", "temp", " °C"),
    ):
        if data[key] is not None:
            parts.append(f"{label} {data[key]:g}{unit}")
    if data["memory_used_bytes"] is not None and data["memory_total_bytes"]:
        used, total = data["memory_used_bytes"] / 2**30, data["memory_total_bytes"] / 2**30
        parts.append(f"mem {used:.1f}/{total:.1f} GiB")
    if data["throttled"]:
        parts.append("throttled: " + ",".join(data["clock_event_reasons"]))
    return "  ".join(parts)
