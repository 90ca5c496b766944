"""Inference servers' latency histogram buckets: hourly increases written, window sums read.

Writes add a scrape's bucket increases to the hour they fall in (a read-modify-write inside
one transaction per scrape; a scrape touches a few dozen rows). Reads sum a window's hours
per server, model and metric, so percentiles can be computed for any window of whole days.
Retention folds the hours of days older than ``retention.pack_hours_after_days`` into one
row per bucket at the day's midnight (:func:`fold_latency_hours`): a year of 128 servers
is then about 2 million rows rather than 45 million, and every answer stays the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, and_, delete, func, insert, select

from golocal.db.database import Database
from golocal.db.models import InferenceServer, ServerLatencyBucket


def add_latency_buckets(
    database: Database, server_id: int, at: datetime, increases: Mapping[str, float]
) -> int:
    """Add ``hist:<metric>:<le>`` increases to the hour of ``at``; returns rows touched."""
    if not increases:
        return 0
    hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    with database.session() as session:
        for name, value in increases.items():
            _, metric, le = name.split(":", 2)
            count = max(0, round(value))
            row = session.get(ServerLatencyBucket, (server_id, hour, metric, le))
            if row is None:
                session.add(
                    ServerLatencyBucket(
                        server_id=server_id, bucket_start=hour, metric=metric, le=le, count=count
                    )
                )
            else:
                row.count += count
    return len(increases)


@dataclass(frozen=True, slots=True)
class LatencyHistogram:
    """One server's buckets of one metric over a window: (upper bound, cumulative count)
    pairs, as Prometheus buckets are cumulative (``le`` counts every request at or below)."""

    server: str
    model: str | None
    metric: str
    buckets: list[tuple[float, int]]


def _bound(le: str) -> float | None:
    try:
        return float(le)  # "+Inf" reads as inf
    except ValueError:
        return None


def latency_histograms(database: Database, since: date, until: date) -> list[LatencyHistogram]:
    """Per server and metric, the window's bucket increases, sorted by bound."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    query = (
        select(
            InferenceServer.name,
            InferenceServer.model,
            ServerLatencyBucket.metric,
            ServerLatencyBucket.le,
            func.sum(ServerLatencyBucket.count),
        )
        .join(InferenceServer, InferenceServer.id == ServerLatencyBucket.server_id)
        .where(
            and_(ServerLatencyBucket.bucket_start >= start, ServerLatencyBucket.bucket_start < end)
        )
        .group_by(
            InferenceServer.name,
            InferenceServer.model,
            ServerLatencyBucket.metric,
            ServerLatencyBucket.le,
        )
    )
    grouped: dict[tuple[str, str | None, str], list[tuple[float, int]]] = {}
    with database.engine.connect() as connection:
        for name, model, metric, le, count in connection.execute(query):
            bound = _bound(le)
            if bound is not None:
                grouped.setdefault((name, model, metric), []).append((bound, int(count or 0)))
    return [
        LatencyHistogram(name, model, metric, sorted(buckets))
        for (name, model, metric), buckets in sorted(
            grouped.items(), key=lambda i: i[0][:1] + i[0][2:]
        )
    ]


def _fold_day(connection: Connection, day: datetime) -> int:
    b = ServerLatencyBucket
    in_day = and_(b.bucket_start >= day, b.bucket_start < day + timedelta(days=1))
    query = (
        select(b.server_id, b.metric, b.le, func.sum(b.count))
        .where(in_day)
        .group_by(b.server_id, b.metric, b.le)
    )
    rows = [
        {"server_id": server, "bucket_start": day, "metric": metric, "le": le, "count": int(n)}
        for server, metric, le, n in connection.execute(query)
    ]
    connection.execute(delete(b).where(in_day))
    if rows:
        connection.execute(insert(b), rows)
    return len(rows)


def fold_latency_hours(database: Database, before: datetime) -> int:
    """Fold the hourly buckets of every whole UTC day before ``before`` into the day's
    midnight, one transaction per day. Returns the days folded."""
    b = ServerLatencyBucket
    cut = before.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with database.engine.connect() as connection:
        first = connection.execute(select(func.min(b.bucket_start))).scalar_one()
    if first is None:
        return 0
    day, folded = first.replace(hour=0), 0
    while day < cut:
        later_hours = and_(b.bucket_start > day, b.bucket_start < day + timedelta(days=1))
        with database.engine.begin() as connection:
            # a folded day holds its midnight only: skip it without reading it again
            if connection.execute(select(b.server_id).where(later_hours).limit(1)).first():
                _fold_day(connection, day)
                folded += 1
        day += timedelta(days=1)
    return folded
