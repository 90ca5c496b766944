"""Local telemetry storage: GPU inventory, inference servers, minute rows and rollups.

Bulk writes go through Core ``insert()`` with lists of dicts, in batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

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


@dataclass(frozen=True, slots=True)
class ServerSeen:
    """An inference server as a collection saw it."""

    name: str
    kind: str
    url: str
    model: str | None
    seen_at: datetime


def register_server(
    database: Database, *, name: str, kind: str, url: str, model: str | None, seen_at: datetime
) -> int:
    """Insert or refresh an inference server; returns its id."""
    return register_servers(database, [ServerSeen(name, kind, url, model, seen_at)])[name]


def register_servers(database: Database, seen: Sequence[ServerSeen]) -> dict[str, int]:
    """:func:`register_server` for many servers in one transaction (a fleet's vLLM
    instances); returns their ids by name."""
    with database.session() as session:
        names = sorted({item.name for item in seen})
        known = {
            server.name: server
            for server in session.scalars(
                select(InferenceServer).where(InferenceServer.name.in_(names))
            )
        }
        for item in seen:
            server = known.get(item.name)
            if server is None:
                server = InferenceServer(name=item.name, first_seen=item.seen_at)
                session.add(server)
                known[item.name] = server
            server.kind = item.kind
            server.url = item.url
            server.model = item.model
            last = server.last_seen
            server.last_seen = max(item.seen_at, last) if last else item.seen_at
        session.flush()
        return {item.name: known[item.name].id for item in seen}


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
    return servers_hour_totals(database, {server_id: set(hours)}).get(server_id, [])


def servers_hour_totals(
    database: Database, wanted: Mapping[int, Iterable[datetime]]
) -> dict[int, list[dict[str, Any]]]:
    """:func:`server_hour_totals` of many servers: one query per hour for all the servers
    that want it (a fleet's minute is a hundred servers in the same hour)."""
    by_hour: dict[datetime, list[int]] = {}
    for server_id, hours in wanted.items():
        for hour in set(hours):
            by_hour.setdefault(hour, []).append(server_id)
    totals: dict[int, list[dict[str, Any]]] = {}
    with database.engine.connect() as connection:
        for hour in sorted(by_hour):
            rows = connection.execute(
                select(
                    ServerMinute.server_id,
                    func.count(),
                    func.sum(ServerMinute.requests),
                    func.sum(ServerMinute.prompt_tokens),
                    func.sum(ServerMinute.generation_tokens),
                )
                .where(
                    ServerMinute.server_id.in_(by_hour[hour]),
                    ServerMinute.minute >= hour,
                    ServerMinute.minute < hour + timedelta(hours=1),
                )
                .group_by(ServerMinute.server_id)
            )
            for server_id, count, requests, prompt, generation in rows:
                if count:
                    totals.setdefault(server_id, []).append(
                        {
                            "bucket_start": hour,
                            "requests": None if requests is None else int(requests),
                            "prompt_tokens": None if prompt is None else int(prompt),
                            "generation_tokens": None if generation is None else int(generation),
                        }
                    )
    return totals


def touch_gpus(database: Database, gpu_ids: Iterable[int], seen_at: datetime) -> None:
    """Move ``last_seen`` of GPUs forward (never backwards)."""
    ids = list(gpu_ids)
    if not ids:
        return
    with database.engine.begin() as connection:
        connection.execute(
            update(Gpu).where(Gpu.id.in_(ids), Gpu.last_seen < seen_at).values(last_seen=seen_at)
        )
