"""Ack latency of ``golocal run --http`` against a bare Bolt app, over loopback.

Sends bursts of ``--concurrency`` (default 200) signed ``/golocal`` slash commands at once
(https://api.slack.com/interactivity/slash-commands) to golocal's HTTP mode, backed by a
database holding a year of the ``fleet`` demo profile, and — alternating bursts, in the same
run — to a bare Bolt app with one no-op command served the same way (Bolt's ASGI adapter under
uvicorn). Both talk to the loopback fake Slack Web API from ``tests/fakes/slack_web.py``.
Prints p50/p95/p99/max ack latency of each, the ratio of the p99s, golocal's answer latency
through ``response_url``, and whether the targets hold: golocal's ack p99 under 1.5 s and
every ack under Slack's 3 seconds. On a shared machine the absolute figures move with the
load; the ratio to the bare app, measured in the same run, is the comparable figure.

Usage: ``python bench/slack.py [--concurrency 200] [--rounds 3] [--days 365] [--database URL]``.
Exit status 0 when the targets hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.fakes (the fake Slack Web API)

SIGNING_SECRET = "bench-signing-secret-0123456789ab"
QUESTION = "how many requests per day?"
ACK_LIMIT_S = 3.0
P99_TARGET_S = 1.5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(values),
        "p95": _percentile(values, 95),
        "p99": _percentile(values, 99),
        "max": max(values),
    }


def _signed(body: str) -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    stamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            httpx.get(url + "/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start in {timeout:.0f} s")


def _prepare_database(args: argparse.Namespace, workdir: Path) -> str:
    from golocal.db.database import open_database
    from golocal.db.usage import count_usage_buckets
    from golocal.jobs.demo import DemoOptions, generate_demo

    url = args.database or f"sqlite:///{workdir / 'bench.db'}"
    database = open_database(url)
    try:
        if count_usage_buckets(database) == 0 or args.regenerate:
            started = time.monotonic()
            summary = generate_demo(database, DemoOptions(days=args.days, profile="fleet"))
            print(f"demo data: {summary.describe()} ({time.monotonic() - started:.0f} s)")
        else:
            print(f"demo data: reusing {count_usage_buckets(database):,} usage buckets")
    finally:
        database.dispose()
    return url


def serve_bare(address: str) -> None:
    """The baseline: a Bolt app with one no-op command, Bolt's ASGI adapter under uvicorn."""
    import uvicorn
    from slack_bolt import Ack, App
    from slack_bolt.adapter.asgi import SlackRequestHandler
    from slack_sdk import WebClient

    client = WebClient(
        token=os.environ.pop("SLACK_BOT_TOKEN"), base_url=os.environ["GOLOCAL_SLACK_API_URL"]
    )
    app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.command("/golocal")
    def noop(ack: Ack) -> None:
        ack()

    host, port = address.rsplit(":", 1)
    uvicorn.run(
        SlackRequestHandler(app), host=host, port=int(port), log_level="warning", access_log=False
    )


def run(args: argparse.Namespace) -> int:
    from tests.fakes.slack_web import running_fake_slack_web

    with tempfile.TemporaryDirectory() as tmp, running_fake_slack_web() as fake:
        database_url = _prepare_database(args, Path(tmp))
        env = {
            **os.environ,
            "GOLOCAL_DATABASE_URL": database_url,
            "GOLOCAL_SLACK_API_URL": fake.api_url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "XDG_STATE_HOME": tmp,
        }
        ports = {"golocal": _free_port(), "bare": _free_port()}
        commands = {
            "golocal": [
                sys.executable,
                "-c",
                "from golocal.bot.cli import main; main()",
                "run",
                "--http",
                f"127.0.0.1:{ports['golocal']}",
            ],
            "bare": [sys.executable, __file__, "--serve-bare", f"127.0.0.1:{ports['bare']}"],
        }
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        try:
            for name, process in processes.items():
                _wait_until_serving(f"http://127.0.0.1:{ports[name]}", process)
            return _measure(args, fake, ports)
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(10)


def _command_body(question: str, response_url: str, trigger: str) -> str:
    from tests.fakes.slack_web import TEAM_ID  # the installing workspace auth.test names

    return urlencode(
        {
            "command": "/golocal",
            "text": question,
            "user_id": "UBENCH001",
            "channel_id": "CBENCH001",
            "team_id": TEAM_ID,
            "trigger_id": trigger,
            "response_url": response_url,
        }
    )


async def _burst(url: str, bodies: list[str]) -> list[tuple[float, int]]:
    """Send every body at once; (seconds to the ack, status) of each."""
    import asyncio

    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(body: str) -> tuple[float, int]:
            started = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=_signed(body))
            except httpx.HTTPError:
                return time.perf_counter() - started, 0
            return time.perf_counter() - started, response.status_code

        return await asyncio.gather(*(one(body) for body in bodies))


def _measure(args: argparse.Namespace, fake: object, ports: dict[str, int]) -> int:
    import asyncio

    acks: dict[str, list[float]] = {"golocal": [], "bare": []}
    failures: dict[str, int] = {"golocal": 0, "bare": 0}
    sent_at: dict[str, float] = {}
    for round_number in range(args.warmup_rounds + args.rounds):
        # Alternate who goes first, so neither always runs right after the other.
        order = ("golocal", "bare") if round_number % 2 == 0 else ("bare", "golocal")
        for name in order:
            bodies = []
            for number in range(args.concurrency):
                request_id = f"{name}-{round_number}-{number}"
                url = fake.response_url(request_id)  # type: ignore[attr-defined]
                bodies.append(_command_body(args.question, url, f"{round_number}.{number}.b"))
                sent_at[request_id] = time.monotonic()
            results = asyncio.run(_burst(f"http://127.0.0.1:{ports[name]}/slack/events", bodies))
            if round_number >= args.warmup_rounds:
                acks[name] += [elapsed for elapsed, _ in results]
                failures[name] += sum(1 for _, status in results if status != 200)
            time.sleep(args.pause)
    answers = _answer_latencies(fake, sent_at, args)
    return _report(args, acks, failures, answers)


def _answer_latencies(
    fake: object, sent_at: dict[str, float], args: argparse.Namespace
) -> list[float]:
    expected = (args.warmup_rounds + args.rounds) * args.concurrency
    deadline = time.monotonic() + args.answer_timeout
    while time.monotonic() < deadline:
        calls = [
            c
            for c in fake.calls_to("response_url")  # type: ignore[attr-defined]
            if "/golocal-" in c.path
        ]
        if len(calls) >= expected:
            break
        time.sleep(0.2)
    latencies = []
    for call in calls:
        request_id = call.path.rsplit("/", 1)[-1]
        if request_id in sent_at:
            latencies.append(call.at - sent_at[request_id])
    return latencies


def _report(
    args: argparse.Namespace,
    acks: dict[str, list[float]],
    failures: dict[str, int],
    answers: list[float],
) -> int:
    stats = {name: _summary(values) for name, values in acks.items()}
    print(
        f"\n{args.rounds} bursts of {args.concurrency} concurrent signed /golocal requests "
        f"each (after {args.warmup_rounds} warm-up), question “{args.question}”, "
        f"{args.days} days of fleet demo data\n"
    )
    print(f"{'ack latency (ms)':<22}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'non-200':>9}")
    for name in ("golocal", "bare"):
        row = stats[name]
        print(
            f"{name:<22}"
            + "".join(f"{row[k] * 1000:9.1f}" for k in ("p50", "p95", "p99", "max"))
            + f"{failures[name]:9d}"
        )
    total = (args.warmup_rounds + args.rounds) * args.concurrency
    if answers:
        answer = _summary(answers)
        print(
            f"{'golocal answer (ms)':<22}"
            + "".join(f"{answer[k] * 1000:9.1f}" for k in ("p50", "p95", "p99", "max"))
            + f"{'':>9}  ({len(answers)} of {total} answered)"
        )
    ratio = stats["golocal"]["p99"] / stats["bare"]["p99"]
    slowest = max(max(values) for values in acks.values())
    p99_ok = stats["golocal"]["p99"] < P99_TARGET_S
    acks_ok = slowest < ACK_LIMIT_S and not any(failures.values())
    print(f"\np99 ratio golocal/bare: {ratio:.2f}")
    print(
        f"golocal ack p99: {stats['golocal']['p99'] * 1000:.1f} ms "
        f"(target < {P99_TARGET_S * 1000:.0f} ms) — {'met' if p99_ok else 'MISSED'}"
    )
    print(
        f"slowest ack: {slowest * 1000:.1f} ms (target < {ACK_LIMIT_S * 1000:.0f} ms, all "
        f"200) — {'met' if acks_ok else 'MISSED'}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "ack": stats,
                    "ratio_p99": ratio,
                    "failures": failures,
                    "answer": _summary(answers) if answers else None,
                }
            )
        )
    return 0 if p99_ok and acks_ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=200, help="requests per burst")
    parser.add_argument("--rounds", type=int, default=3, help="measured bursts per app")
    parser.add_argument("--warmup-rounds", type=int, default=1)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database", help="a database URL to use (demo data added if empty)")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the demo data")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument(
        "--pause", type=float, default=1.0, help="seconds between bursts (default: 1)"
    )
    parser.add_argument("--answer-timeout", type=float, default=120.0)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--serve-bare", metavar="HOST:PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    sys.exit(run(args))


if __name__ == "__main__":
    main()
