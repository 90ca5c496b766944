"""Local telemetry storage: GPU inventory, inference servers, minute rows and rollups.

Bulk writes go through Core ``insert()`` with lists of dicts, in batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select

from golocal.db.database import Database
from golocal.db.models import (
    Gpu,
    GpuMinute,
    GpuRollup,
    InferenceServer,
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
) -> int:
    """Insert or refresh a GPU in the inventory; returns its id."""
    with database.session() as session:
        gpu = session.scalars(
            select(Gpu).where(Gpu.source == source, Gpu.host == host, Gpu.uuid == uuid)
        ).one_or_none()
        if gpu is None:
            gpu = Gpu(source=source, host=host, uuid=uuid, first_seen=seen_at)
            session.add(gpu)
        gpu.gpu_index = gpu_index
        gpu.name = name
        gpu.memory_total_mib = memory_total_mib
        gpu.power_limit_w = power_limit_w
        gpu.last_seen = max(seen_at, gpu.last_seen) if gpu.last_seen else seen_at
        gpu.lost = False
        session.flush()
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
            (ServerMinute, ServerMinute.server_id, server_ids),
            (ServerRollup, ServerRollup.server_id, server_ids),
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
        for model in (Gpu, GpuMinute, GpuRollup, InferenceServer, ServerMinute, ServerRollup):
            counts[model.__tablename__] = int(
                connection.execute(select(func.count()).select_from(model)).scalar_one()
            )
    return counts
