"""Exactly-once rounds: how many Slack messages each failure scenario really leaves behind.

Each round builds a fresh SQLite database and a fresh loopback fake Slack Web API
(``tests/fakes/slack_web.py``), then plays one scenario end to end through golocal's real
posting code, and counts the messages in the channel:

* ``digest 500-after-accept`` — Slack stores the digest, then answers 500;
* ``digest crash after post`` — the process dies after Slack accepted the digest, before
  the database recorded it; a second process posts the digest again;
* ``alert 500-after-accept`` — the same for an alert's opening message;
* ``alert crash after post`` — the sender dies after posting; its lease expires and the
  next evaluation sends what is due;
* ``alert crash before post`` — the sender dies after claiming, before posting.

Each scenario should leave exactly one message. Prints a table of rounds and message counts;
``--baseline`` also plays the 500-after-accept scenarios with a plain retrying client
(slack_sdk's ``ServerErrorRetryHandler``, what golocal used before), for comparison.

Usage: ``python bench/slack_delivery.py [--rounds 20] [--baseline]``. Exit status 0 when every
round left exactly one message.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.fakes (the fake Slack Web API)

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
WEEK = "2026-W10"
CHANNEL = "C0BENCH01"


class Crash(BaseException):
    """The process dies here."""


def _poster(api_url: str, *, crash: str | None = None, baseline: bool = False) -> object:
    from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

    from golocal.bot.posting import ChannelPacer, Message, SlackPoster

    class Poster(SlackPoster):
        def post(self, message: Message) -> str | None:
            if crash == "before":
                raise Crash
            if baseline:  # the old way: the HTTP client retries the 500 blindly
                message = Message(message.channel, message.text, message.blocks, kind=message.kind)
            ts = super().post(message)
            if crash == "after":
                raise Crash
            return ts

    poster = Poster("xoxb-bench", api_url, backoff_factor=0, pacer=ChannelPacer(1e3))
    if baseline:
        poster.client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=3))
        poster.retries = 0
    return poster


def _services(database: object) -> object:
    from golocal.bot.services import Services
    from golocal.config.settings import load_settings

    return Services(load_settings(None), database, clock=lambda: NOW)  # type: ignore[arg-type]


def _digest(database: object, poster: object) -> None:
    from golocal.bot.publish import publish_digest
    from golocal.jobs.digest import build_digest

    services = _services(database)
    digest = build_digest(database, services.settings, WEEK, now=NOW)  # type: ignore[attr-defined]
    publish_digest(services, poster, digest, CHANNEL, chart=b"\x89PNG\r\n\x1a\nbench")  # type: ignore[arg-type]


def _alerts(database: object, poster: object, at: datetime) -> None:
    from golocal.bot.alert_notify import deliver_alerts
    from golocal.bot.services import Services

    services = _services(database)
    later = Services(services.settings, database, clock=lambda: at)  # type: ignore[attr-defined, arg-type]
    deliver_alerts(later, poster, CHANNEL)  # type: ignore[arg-type]


def _seed(database: object) -> None:
    from golocal.db import alerts as incidents_db
    from golocal.db.usage import upsert_usage_buckets

    rows = [
        {
            "source": "openai",
            "bucket_start": datetime(2026, 3, day, tzinfo=UTC),
            "bucket_seconds": 86400,
            "location": "cloud",
            "provider": "openai",
            "model": "gpt-4.1",
            "requests": 800,
            "cost_usd": Decimal("3.25"),
        }
        for day in range(2, 9)
    ]
    upsert_usage_buckets(database, rows)  # type: ignore[arg-type]
    incidents_db.fire(
        database,  # type: ignore[arg-type]
        rule="source_failing",
        key="openai",
        severity="warning",
        summary="openai failing",
        details={"signature": "openai failing"},
        now=NOW - timedelta(minutes=5),
    )


def _scenarios(baseline: bool) -> dict[str, Callable[[object, object], None]]:
    from golocal.bot.alert_notify import NOTIFY_LEASE

    def digest_accept_500(db: object, fake: object) -> None:
        fake.fail_after_accept("chat.postMessage")  # type: ignore[attr-defined]
        _digest(db, _poster(fake.api_url, baseline=baseline))  # type: ignore[attr-defined]

    def digest_crash(db: object, fake: object) -> None:
        with contextlib.suppress(Crash):
            _digest(db, _poster(fake.api_url, crash="after"))  # type: ignore[attr-defined]
        _digest(db, _poster(fake.api_url))  # type: ignore[attr-defined]

    def alert_accept_500(db: object, fake: object) -> None:
        fake.fail_after_accept("chat.postMessage")  # type: ignore[attr-defined]
        _alerts(db, _poster(fake.api_url, baseline=baseline), NOW)  # type: ignore[attr-defined]

    def alert_crash(where: str) -> Callable[[object, object], None]:
        def play(db: object, fake: object) -> None:
            with contextlib.suppress(Crash):
                _alerts(db, _poster(fake.api_url, crash=where), NOW)  # type: ignore[attr-defined]
            _alerts(db, _poster(fake.api_url), NOW + timedelta(minutes=1))  # type: ignore[attr-defined]
            later = NOW + NOTIFY_LEASE + timedelta(seconds=1)
            _alerts(db, _poster(fake.api_url), later)  # type: ignore[attr-defined]

        return play

    scenarios = {
        "digest 500-after-accept": digest_accept_500,
        "alert 500-after-accept": alert_accept_500,
    }
    if not baseline:
        scenarios |= {
            "digest crash after post": digest_crash,
            "alert crash after post": alert_crash("after"),
            "alert crash before post": alert_crash("before"),
        }
    return scenarios


def run(rounds: int, baseline: bool) -> dict[str, Counter[int]]:
    from golocal.db.database import open_database
    from tests.fakes.slack_web import running_fake_slack_web

    counts: dict[str, Counter[int]] = {}
    for name, play in _scenarios(baseline).items():
        counts[name] = Counter()
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as tmp, running_fake_slack_web() as fake:
                database = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
                try:
                    _seed(database)
                    play(database, fake)
                    top_level = [m for m in fake.posts_in(CHANNEL) if "thread_ts" not in m]
                    counts[name][len(top_level)] += 1
                finally:
                    database.dispose()
    return counts


def _print(title: str, counts: dict[str, Counter[int]]) -> bool:
    print(f"\n{title}")
    print(f"{'scenario':<28}{'rounds':>8}{'messages':>10}  rounds by messages left")
    exact = True
    for name, counter in counts.items():
        rounds = sum(counter.values())
        messages = sum(n * c for n, c in counter.items())
        spread = ", ".join(f"{n} message(s): {c}" for n, c in sorted(counter.items()))
        print(f"{name:<28}{rounds:>8}{messages:>10}  {spread}")
        exact = exact and set(counter) == {1}
    return exact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds per scenario")
    parser.add_argument(
        "--baseline", action="store_true", help="also play 500-after-accept with a blind retry"
    )
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    exact = _print("golocal", run(args.rounds, baseline=False))
    if args.baseline:
        _print("baseline: slack_sdk retries the 500 itself", run(args.rounds, baseline=True))
    print("\nexactly one message in every round" if exact else "\nNOT exactly once")
    sys.exit(0 if exact else 1)


if __name__ == "__main__":
    main()
