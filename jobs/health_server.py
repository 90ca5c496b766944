"""``golocal run``'s own endpoints: ``/metrics``, ``/healthz`` and ``/readyz``.

* ``/metrics`` — :data:`golocal.jobs.selfmetrics.REGISTRY` in Prometheus' text format; each
  scrape also times one database round trip, so the latency series is as fresh as the scrape.
* ``/healthz`` — liveness: 200 while the process serves requests at all.
* ``/readyz`` — readiness: 200 when the database answers, 503 with the reason otherwise
  (a replica that cannot reach its database should not be sent Slack's requests).

Before serving, the source series are seeded from the database (each source's stored last
success and its schedule interval), so a restart does not look like a source gone stale.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from golocal.config.settings import Settings
from golocal.db.database import Database
from golocal.db.health import roundtrip_seconds
from golocal.db.sources import all_source_states
from golocal.jobs import selfmetrics
from golocal.jobs.collect import registered_sources
from golocal.jobs.http_serving import Answer, make_route_server, parse_listen
from golocal.jobs.telemetry import local_sources

log = logging.getLogger(__name__)
_TEXT = "text/plain; charset=utf-8"


def seed_source_metrics(database: Database, settings: Settings) -> None:
    """Export every configured source with its interval and stored last success."""
    interval = {
        entry.name: settings.schedule.collect_minutes * 60.0
        for entry in registered_sources()
        if entry.missing(settings) is None
    }
    for source in local_sources(settings):
        interval[source.name] = float(settings.schedule.telemetry_seconds)
    stored = {state.source: state.last_success_at for state in all_source_states(database)}
    for name, seconds in interval.items():
        selfmetrics.seed_source(name, last_success=stored.get(name), interval_seconds=seconds)


def _ping(database: Database) -> float | None:
    seconds = roundtrip_seconds(database)
    selfmetrics.observe_db_roundtrip(seconds)
    return seconds


def health_routes(database: Database) -> dict[str, Callable[[], Answer]]:
    """Path → handler, for :func:`golocal.jobs.http_serving.make_route_server`."""

    def metrics() -> Answer:
        _ping(database)
        return 200, generate_latest(selfmetrics.REGISTRY), CONTENT_TYPE_LATEST

    def healthz() -> Answer:
        return 200, b"ok\n", _TEXT

    def readyz() -> Answer:
        if _ping(database) is None:
            return 503, b"not ready: the database does not answer\n", _TEXT
        return 200, b"ready\n", _TEXT

    return {"/metrics": metrics, "/healthz": healthz, "/readyz": readyz}


def start_health_server(database: Database, settings: Settings, listen: str) -> ThreadingHTTPServer:
    """Serve the endpoints on ``listen`` (HOST:PORT) in a daemon thread.

    Raises:
        OSError: the address cannot be bound (in use, not local).
    """
    host, port = parse_listen(listen)
    try:
        seed_source_metrics(database, settings)
    except Exception:  # the endpoints matter more than the seed
        log.warning("could not read the sources' state for /metrics", exc_info=True)
    server = make_route_server(health_routes(database), host, port, name="health")
    # a 0.1 s poll (not 0.5 s) so that stopping golocal run does not wait on it
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="golocal-metrics",
        daemon=True,
    )
    thread.start()
    return server
