"""Inference servers' latency histogram buckets: daily increases written, window sums read.

Answers read latency by whole UTC days only, so a scrape's bucket increases are added to
the row of their UTC day (a read-modify-write inside one transaction per scrape; a scrape
touches a few dozen rows). Reads sum a window's days per server, model and metric, so
percentiles can be computed for any window of whole days.

Once a day is ``PACK_AFTER_DAYS`` old retention packs its rows into one
``server_latency_days`` row per server (:func:`pack_latency_days`): the day's increase per
metric and bound, as zlib-compressed JSON behind a format byte. Three histograms of about
22 bounds each are 3 million rows a year for 128 vLLM instances; packed they are 47,000,
and every window's histogram is the same.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select

from golocal.db.database import Database
from golocal.db.models import InferenceServer, ServerLatencyBucket, ServerLatencyDay
from golocal.db.upsert import dialect_insert

#: a day's hourly buckets are packed once the day ended this many days ago, minus one
PACK_AFTER_DAYS = 2
_FORMAT = 1


def add_latency_buckets(
    database: Database, server_id: int, at: datetime, increases: Mapping[str, float]
) -> int:
    """Add ``hist:<metric>:<le>`` increases to the UTC day of ``at``; returns rows touched."""
    return add_many_latency_buckets(database, [(server_id, at, increases)])


def add_many_latency_buckets(
    database: Database, items: Iterable[tuple[int, datetime, Mapping[str, float]]]
) -> int:
    """:func:`add_latency_buckets` for several servers and hours in one statement: an
    ``INSERT … ON CONFLICT DO UPDATE SET count = count + new`` per row (a fleet of 128 vLLM
    instances touches some 9,000 bucket rows a minute)."""
    wanted: dict[tuple[int, datetime, str, str], int] = {}
    for server_id, at, increases in items:
        day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        for name, value in increases.items():
            _, metric, le = name.split(":", 2)
            key = (server_id, day, metric, le)
            wanted[key] = wanted.get(key, 0) + max(0, round(value))
    if not wanted:
        return 0
    b = ServerLatencyBucket
    with database.engine.begin() as connection:
        stmt = dialect_insert(connection)(b)
        stmt = stmt.on_conflict_do_update(
            index_elements=["server_id", "bucket_start", "metric", "le"],
            set_={"count": b.count + stmt.excluded["count"]},
        )
        connection.execute(
            stmt,
            [
                {"server_id": s, "bucket_start": d, "metric": m, "le": le, "count": count}
                for (s, d, m, le), count in wanted.items()
            ],
        )
    return len(wanted)


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
    b, packed = ServerLatencyBucket, ServerLatencyDay
    query = (
        select(b.server_id, b.metric, b.le, func.sum(b.count))
        .where(b.bucket_start >= start, b.bucket_start < end)
        .group_by(b.server_id, b.metric, b.le)
    )
    days = select(packed.server_id, packed.buckets).where(packed.day >= start, packed.day < end)
    servers = select(InferenceServer.id, InferenceServer.name, InferenceServer.model)
    per_server: dict[int, dict[str, dict[str, int]]] = {}
    with database.engine.connect() as connection:
        for server, metric, le, count in connection.execute(query):
            counts = per_server.setdefault(server, {}).setdefault(metric, {})
            counts[le] = counts.get(le, 0) + int(count or 0)
        for server, record in connection.execute(days):
            metrics = per_server.setdefault(server, {})
            for metric, bounds in unpack_buckets(record).items():
                counts = metrics.setdefault(metric, {})
                for le, count in bounds.items():
                    counts[le] = counts.get(le, 0) + count
        owners = {row[0]: (row[1], row[2]) for row in connection.execute(servers)}
    grouped = {
        (*owners[server], metric): counts
        for server, metrics in per_server.items()
        for metric, counts in metrics.items()
    }
    result = []
    for (name, model, metric), counts in sorted(grouped.items(), key=lambda i: i[0][:1] + i[0][2:]):
        buckets = [(bound, n) for le, n in counts.items() if (bound := _bound(le)) is not None]
        result.append(LatencyHistogram(name, model, metric, sorted(buckets)))
    return result


def pack_buckets(buckets: Mapping[str, Mapping[str, int]]) -> bytes:
    """A day's increases, ``{metric: {le: count}}``, as a packed record."""
    text = json.dumps(buckets, sort_keys=True, separators=(",", ":"))
    return bytes([_FORMAT]) + zlib.compress(text.encode(), 9)


def pack_bucket_columns(columns: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Bucket rows given as columns (``server_id``, ``bucket_start``, ``metric``, ``le``,
    ``count``) as the packed ``server_latency_days`` columns retention would leave."""
    days: dict[tuple[int, datetime], dict[str, dict[str, int]]] = {}
    for server, at, metric, le, count in zip(
        columns["server_id"], columns["bucket_start"], columns["metric"], columns["le"],
        columns["count"], strict=True,
    ):  # fmt: skip
        day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        bounds = days.setdefault((server, day), {}).setdefault(metric, {})
        bounds[le] = bounds.get(le, 0) + int(count)
    return {
        "server_id": [server for server, _ in days],
        "day": [day for _, day in days],
        "buckets": [pack_buckets(buckets) for buckets in days.values()],
    }


def unpack_buckets(record: bytes) -> dict[str, dict[str, int]]:
    """The ``{metric: {le: count}}`` a packed record holds."""
    if not record or record[0] != _FORMAT:
        raise ValueError(f"packed latency buckets of format {record[:1].hex() or 'none'}")
    data: dict[str, dict[str, int]] = json.loads(zlib.decompress(record[1:]))
    return data  # written by pack_buckets alone: metric -> bound -> whole count


def _pack_day(connection: Connection, day: datetime) -> int:
    # rows of the day: its midnight, or its hours where an older golocal wrote hourly
    b, packed = ServerLatencyBucket, ServerLatencyDay
    in_day = and_(b.bucket_start >= day, b.bucket_start < day + timedelta(days=1))
    query = (
        select(b.server_id, b.metric, b.le, func.sum(b.count))
        .where(in_day)
        .group_by(b.server_id, b.metric, b.le)
    )
    days: dict[int, dict[str, dict[str, int]]] = {}
    for server, metric, le, count in connection.execute(query):
        days.setdefault(server, {}).setdefault(metric, {})[le] = int(count or 0)
    for server, buckets in days.items():
        this = and_(packed.day == day, packed.server_id == server)
        old = connection.execute(select(packed.buckets).where(this)).scalar_one_or_none()
        if old is not None:  # increases written after the day was packed join the rest
            for metric, bounds in unpack_buckets(old).items():
                for le, count in bounds.items():
                    merged = buckets.setdefault(metric, {})
                    merged[le] = merged.get(le, 0) + count
            connection.execute(delete(packed).where(this))
        connection.execute(
            insert(packed), {"day": day, "server_id": server, "buckets": pack_buckets(buckets)}
        )
    connection.execute(delete(b).where(in_day))
    return len(days)


def pack_latency_days(database: Database, now: datetime) -> int:
    """Pack the bucket rows of every UTC day that ended ``PACK_AFTER_DAYS - 1`` or more
    days before ``now``, one transaction per day. Returns the server-days packed."""
    b = ServerLatencyBucket
    cut = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    cut -= timedelta(days=PACK_AFTER_DAYS - 1)
    with database.engine.connect() as connection:
        # packed days leave no rows behind: the first row is the first day to pack
        first = connection.execute(select(func.min(b.bucket_start))).scalar_one()
    if first is None:
        return 0
    day, packed = first.replace(hour=0), 0
    while day < cut:
        with database.engine.begin() as connection:
            packed += _pack_day(connection, day)
        day += timedelta(days=1)
    return packed
