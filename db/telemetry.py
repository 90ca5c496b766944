"""Local telemetry storage: GPU inventory, inference servers, minute rows and rollups.

Bulk writes go through Core ``insert()`` with lists of dicts, in batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from golocal.db.database import Database
from golocal.db.models import (
    Gpu,
    GpuHourArchive,
    GpuMinute,
    GpuRollup,
    InferenceServer,
    ServerHourArchive,
    ServerLatencyBucket,
    ServerLatencyDay,
    ServerMinute,
    ServerRollup,
)
from golocal.db.rollups import floor_month, floor_week, next_month

BATCH = 10_000


def insert_rows(database: Database, model: type[Any], rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert plain rows into ``model``'s table in batches; returns the number inserted."""
    total = 0
    batch: list[Mapping[str, Any]] = []
    with database.engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                connection.execute(insert(model), batch)
                total += len(batch)
                batch = []
        if batch:
            connection.execute(insert(model), batch)
            total += len(batch)
    return total


def register_gpu(
    database: Database,
    *,
    source: str,
    host: str,
    gpu_index: int,
    uuid: str,
    name: str,
    memory_total_mib: int | None,
    power_limit_w: float | None,
    seen_at: datetime,
    parent_uuid: str | None = None,
    mig_profile: str | None = None,
) -> int:
    """Insert or refresh a GPU (or a MIG instance of one) in the inventory; returns its id."""
    seen = GpuSeen(
        host, gpu_index, uuid, name, memory_total_mib, power_limit_w, seen_at,
        parent_uuid, mig_profile,
    )  # fmt: skip
    return register_gpus(database, source, [seen])[(host, uuid)]


@dataclass(frozen=True, slots=True)
class GpuSeen:
    """What one collection saw of a GPU (the arguments of :func:`register_gpu`)."""

    host: str
    gpu_index: int
    uuid: str
    name: str
    memory_total_mib: int | None
    power_limit_w: float | None
    seen_at: datetime
    parent_uuid: str | None = None
    mig_profile: str | None = None


def register_gpus(
    database: Database, source: str, seen: list[GpuSeen]
) -> dict[tuple[str, str], int]:
    """:func:`register_gpu` for many GPUs of one source in one transaction (a fleet's
    collection sees a thousand at a time); returns their ids by (host, uuid)."""
    with database.session() as session:
        known = {
            (gpu.host, gpu.uuid): gpu
            for gpu in session.scalars(select(Gpu).where(Gpu.source == source))
        }
        for item in seen:
            gpu = known.get((item.host, item.uuid))
            if gpu is None:
                gpu = Gpu(source=source, host=item.host, uuid=item.uuid, first_seen=item.seen_at)
                session.add(gpu)
                known[(item.host, item.uuid)] = gpu
            gpu.gpu_index = item.gpu_index
            gpu.name = item.name
            gpu.memory_total_mib = item.memory_total_mib
            gpu.power_limit_w = item.power_limit_w
            gpu.parent_uuid = item.parent_uuid or None
            gpu.mig_profile = item.mig_profile or None
            gpu.last_seen = max(item.seen_at, gpu.last_seen) if gpu.last_seen else item.seen_at
            gpu.lost = False
        session.flush()
        return {(item.host, item.uuid): known[(item.host, item.uuid)].id for item in seen}


def mark_gpu_lost(
    database: Database, *, source: str, host: str, gpu_index: int, uuid: str, seen_at: datetime
) -> int | None:
    """Flag a known GPU as lost (NVML ``GpuIsLost``, or gone from its exporter).

    A GPU never seen before is not invented: returns its id, or ``None`` if unknown.
    """
    with database.session() as session:
        query = select(Gpu).where(Gpu.source == source, Gpu.host == host)
        query = query.where(Gpu.uuid == uuid) if uuid else query.where(Gpu.gpu_index == gpu_index)
        gpu = session.scalars(query).first()
        if gpu is None:
            return None
        gpu.lost = True
        return gpu.id


def register_server(
    database: Database, *, name: str, kind: str, url: str, model: str | None, seen_at: datetime
) -> int:
    """Insert or refresh an inference server; returns its id."""
    with database.session() as session:
        server = session.scalars(
            select(InferenceServer).where(InferenceServer.name == name)
        ).one_or_none()
        if server is None:
            server = InferenceServer(name=name, first_seen=seen_at)
            session.add(server)
        server.kind = kind
        server.url = url
        server.model = model
        server.last_seen = max(seen_at, server.last_seen) if server.last_seen else seen_at
        session.flush()
        return server.id


def delete_telemetry_sources(database: Database, *, prefix: str) -> int:
    """Delete GPUs and inference servers (and all their rows) whose source/name has ``prefix``."""
    deleted = 0
    with database.engine.begin() as connection:
        gpu_ids = select(Gpu.id).where(Gpu.source.startswith(prefix, autoescape=True))
        server_ids = select(InferenceServer.id).where(
            InferenceServer.name.startswith(prefix, autoescape=True)
        )
        # explicit deletes rather than relying on ON DELETE CASCADE being enabled
        for model, column, ids in (
            (GpuMinute, GpuMinute.gpu_id, gpu_ids),
            (GpuRollup, GpuRollup.gpu_id, gpu_ids),
            (GpuHourArchive, GpuHourArchive.gpu_id, gpu_ids),
            (ServerMinute, ServerMinute.server_id, server_ids),
            (ServerRollup, ServerRollup.server_id, server_ids),
            (ServerHourArchive, ServerHourArchive.server_id, server_ids),
            (ServerLatencyBucket, ServerLatencyBucket.server_id, server_ids),
            (ServerLatencyDay, ServerLatencyDay.server_id, server_ids),
        ):
            deleted += connection.execute(delete(model).where(column.in_(ids))).rowcount or 0
        deleted += connection.execute(delete(Gpu).where(Gpu.id.in_(gpu_ids))).rowcount or 0
        deleted += (
            connection.execute(
                delete(InferenceServer).where(InferenceServer.id.in_(server_ids))
            ).rowcount
            or 0
        )
    return deleted


def table_counts(database: Database) -> dict[str, int]:
    """Row counts of the telemetry tables (for summaries and benchmarks)."""
    counts = {}
    with database.engine.connect() as connection:
        for model in (
            Gpu,
            GpuMinute,
            GpuRollup,
            GpuHourArchive,
            InferenceServer,
            ServerMinute,
            ServerRollup,
            ServerHourArchive,
            ServerLatencyBucket,
            ServerLatencyDay,
        ):
            counts[model.__tablename__] = int(
                connection.execute(select(func.count()).select_from(model)).scalar_one()
            )
    return counts


def server_hour_totals(
    database: Database, server_id: int, hours: Iterable[datetime]
) -> list[dict[str, Any]]:
    """Requests and tokens of one inference server per hour, summed from its minute rows.

    Returns ``{"bucket_start", "requests", "prompt_tokens", "generation_tokens"}`` per hour
    that has minute rows; sums stay NULL when the server reports no such counter.
    """
    totals = []
    with database.engine.connect() as connection:
        for hour in sorted(set(hours)):
            row = connection.execute(
                select(
                    func.count(),
                    func.sum(ServerMinute.requests),
                    func.sum(ServerMinute.prompt_tokens),
                    func.sum(ServerMinute.generation_tokens),
                ).where(
                    ServerMinute.server_id == server_id,
                    ServerMinute.minute >= hour,
                    ServerMinute.minute < hour + timedelta(hours=1),
                )
            ).one()
            if row[0]:
                totals.append(
                    {
                        "bucket_start": hour,
                        "requests": None if row[1] is None else int(row[1]),
                        "prompt_tokens": None if row[2] is None else int(row[2]),
                        "generation_tokens": None if row[3] is None else int(row[3]),
                    }
                )
    return totals


@dataclass(frozen=True, slots=True)
class GpuSummary:
    """One GPU over a report range, from its daily rollups."""

    source: str
    host: str
    gpu_index: int
    uuid: str
    name: str
    memory_total_mib: int | None
    minutes: int
    util_mean: float | None
    util_max: float | None
    mem_used_mean_mib: float | None
    mem_used_max_mib: float | None
    power_mean_w: float | None
    power_max_w: float | None
    energy_kwh: float | None
    #: True when some of the energy is estimated from mean power (no energy counter).
    energy_estimated: bool
    temp_max_c: float | None
    saturated_minutes: float | None
    throttled_minutes: float | None
    lost: bool
    last_seen: datetime
    #: a MIG instance: the physical GPU it is carved from, and its profile
    parent_uuid: str | None = None
    mig_profile: str | None = None


def _has_days(connection: Connection, start: datetime, end: datetime) -> bool:
    r = GpuRollup
    query = select(r.gpu_id).where(
        r.resolution == "day", r.bucket_start >= start, r.bucket_start < end
    )
    return connection.execute(query.limit(1)).first() is not None


Segment = tuple[str, datetime, datetime]


def _week_segments(connection: Connection, start: datetime, end: datetime) -> list[Segment]:
    """Whole weeks inside ``[start, end)`` and the days around them."""
    if start >= end:
        return []
    first = floor_week(start)
    if first < start and _has_days(connection, first, start):
        first += timedelta(days=7)
    last = floor_week(end)
    if last < end and not _has_days(connection, end, last + timedelta(days=7)):
        last += timedelta(days=7)
    if first >= last:
        return [("day", start, end)]
    segments: list[Segment] = []
    if start < first:
        segments.append(("day", start, first))
    segments.append(("week", first, last))
    if last < end:
        segments.append(("day", last, end))
    return segments


def rollup_segments(connection: Connection, since: datetime, until: datetime) -> list[Segment]:
    """The coarsest rollup rows that cover ``[since, until)`` (UTC midnights) exactly:
    months inside it, then whole weeks at the edges, then days.

    A month or week the range only partly covers still comes from its own row when the
    rest of it holds no data (the usual "until today" and "since collection began" edges):
    such a row is exactly the sum of the days in the range.
    """
    first = floor_month(since)
    if first < since and _has_days(connection, first, since):
        first = next_month(since)
    last = floor_month(until)
    if last < until and not _has_days(connection, until, next_month(until)):
        last = next_month(until)
    if first >= last:
        return _week_segments(connection, since, until)
    return [
        *_week_segments(connection, since, first),
        ("month", first, last),
        *_week_segments(connection, last, until),
    ]


def _covering(segments: list[Segment]) -> Any:
    r = GpuRollup
    return or_(
        *(
            and_(r.resolution == resolution, r.bucket_start >= start, r.bucket_start < end)
            for resolution, start, end in segments
        )
    )


def gpu_summaries(database: Database, since: datetime, until: datetime) -> list[GpuSummary]:
    """Per-GPU utilisation, memory, power, energy and saturation for ``[since, until)``.

    ``since`` and ``until`` are UTC midnights. Reads the coarsest rollups that cover the
    range (:func:`rollup_segments`), so the cost of a report grows with the number of GPUs,
    never with minutes, and barely with the length of the range. GPUs with no data in the
    range are listed too (with ``minutes == 0``), so a silent GPU is visible.
    """
    r = GpuRollup
    weight = r.samples  # sample-weighted, as the rollups are

    def mean(column: Any) -> Any:
        reported = func.sum(case((column.is_not(None), weight), else_=literal(None)))
        return func.sum(column * weight) / func.nullif(reported, 0)

    measured = func.sum(r.energy_j)
    estimated = func.sum(
        case((r.energy_j.is_(None), r.power_mean_w * r.minutes * 60), else_=literal(None))
    )
    with database.engine.connect() as connection:
        covering = _covering(rollup_segments(connection, since, until))
    aggregates = (
        select(
            r.gpu_id.label("gpu_id"),
            func.sum(r.minutes).label("minutes"),
            mean(r.util_mean).label("util_mean"),
            func.max(r.util_max).label("util_max"),
            mean(r.mem_used_mean_mib).label("mem_mean"),
            func.max(r.mem_used_max_mib).label("mem_max"),
            mean(r.power_mean_w).label("power_mean"),
            func.max(r.power_max_w).label("power_max"),
            measured.label("energy_measured"),
            estimated.label("energy_estimated"),
            func.max(r.temp_max_c).label("temp_max"),
            func.sum(r.saturated_s).label("saturated_s"),
            func.sum(r.throttled_s).label("throttled_s"),
        )
        .where(covering)
        .group_by(r.gpu_id)
        .subquery()
    )
    query = (
        select(Gpu, aggregates)
        .outerjoin(aggregates, aggregates.c.gpu_id == Gpu.id)
        # GPUs with data in the range, and those known during it that sent none
        .where(
            or_(
                aggregates.c.gpu_id.is_not(None),
                and_(Gpu.first_seen < until, Gpu.last_seen >= since),
            )
        )
        .order_by(Gpu.host, Gpu.gpu_index, Gpu.uuid)
    )
    summaries = []
    with database.session() as session:
        for gpu, *values in session.execute(query):
            row = dict(zip(aggregates.c.keys(), values, strict=True))
            joules = [v for v in (row["energy_measured"], row["energy_estimated"]) if v is not None]
            summaries.append(
                GpuSummary(
                    source=gpu.source,
                    host=gpu.host,
                    gpu_index=gpu.gpu_index,
                    uuid=gpu.uuid,
                    name=gpu.name,
                    memory_total_mib=gpu.memory_total_mib,
                    minutes=int(row["minutes"] or 0),
                    util_mean=row["util_mean"],
                    util_max=row["util_max"],
                    mem_used_mean_mib=row["mem_mean"],
                    mem_used_max_mib=row["mem_max"],
                    power_mean_w=row["power_mean"],
                    power_max_w=row["power_max"],
                    energy_kwh=sum(joules) / 3.6e6 if joules else None,
                    energy_estimated=row["energy_estimated"] is not None,
                    temp_max_c=row["temp_max"],
                    saturated_minutes=_minutes(row["saturated_s"]),
                    throttled_minutes=_minutes(row["throttled_s"]),
                    lost=gpu.lost,
                    last_seen=gpu.last_seen,
                    parent_uuid=gpu.parent_uuid,
                    mig_profile=gpu.mig_profile,
                )
            )
    return summaries


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else float(seconds) / 60


def touch_gpus(database: Database, gpu_ids: Iterable[int], seen_at: datetime) -> None:
    """Move ``last_seen`` of GPUs forward (never backwards)."""
    ids = list(gpu_ids)
    if not ids:
        return
    with database.engine.begin() as connection:
        connection.execute(
            update(Gpu).where(Gpu.id.in_(ids), Gpu.last_seen < seen_at).values(last_seen=seen_at)
        )
