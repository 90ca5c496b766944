"""Reads behind per-GPU detail (``golocal report gpus --by minute|hour``): which GPUs a
period and filter name, and the minute rows golocal stored for them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from golocal.db.database import Database
from golocal.db.gpu_hours import ID_CHUNK
from golocal.db.models import Gpu, GpuMinute
from golocal.db.rollups import GPU

#: the columns of a minute row, in the order :func:`stored_minutes` returns them
MINUTE_COLUMNS = ("samples", *GPU.means, *GPU.maxes, *GPU.sums)


@dataclass(frozen=True, slots=True)
class DetailGpu:
    """A GPU (or MIG instance) of the inventory."""

    id: int
    source: str
    host: str
    gpu_index: int
    uuid: str
    name: str
    parent_uuid: str | None
    mig_profile: str | None
    first_seen: datetime
    last_seen: datetime


def gpus_seen(
    database: Database,
    since: datetime,
    *,
    uuids: Sequence[str] = (),
    hosts: Sequence[str] = (),
) -> list[DetailGpu]:
    """GPUs last seen at or after ``since`` (earlier ones have nothing to say about the
    period; ``first_seen`` is no bound, as data can be backfilled before it), those with
    one of ``uuids`` (a MIG instance also by its parent's) and on one of ``hosts`` when
    given; sorted by source, host, index, uuid."""
    query = select(
        Gpu.id, Gpu.source, Gpu.host, Gpu.gpu_index, Gpu.uuid, Gpu.name, Gpu.parent_uuid,
        Gpu.mig_profile, Gpu.first_seen, Gpu.last_seen,
    ).where(Gpu.last_seen >= since)  # fmt: skip
    if uuids:
        query = query.where(or_(Gpu.uuid.in_(uuids), Gpu.parent_uuid.in_(uuids)))
    if hosts:
        query = query.where(Gpu.host.in_(hosts))
    query = query.order_by(Gpu.source, Gpu.host, Gpu.gpu_index, Gpu.uuid)
    with database.engine.connect() as connection:
        return [DetailGpu(**row._mapping) for row in connection.execute(query)]


def stored_minutes(
    database: Database, since: datetime, until: datetime, gpu_ids: Collection[int]
) -> list[dict[str, Any]]:
    """The stored minute rows ``since <= minute < until`` of ``gpu_ids``, as dicts of
    ``gpu_id``, ``minute`` and :data:`MINUTE_COLUMNS`, sorted by (gpu, minute)."""
    columns = [getattr(GpuMinute, name) for name in MINUTE_COLUMNS]
    ids = sorted(set(gpu_ids))
    rows: list[dict[str, Any]] = []
    with database.engine.connect() as connection:
        for i in range(0, len(ids), ID_CHUNK):
            query = select(GpuMinute.gpu_id, GpuMinute.minute, *columns).where(
                GpuMinute.gpu_id.in_(ids[i : i + ID_CHUNK]),
                GpuMinute.minute >= since,
                GpuMinute.minute < until,
            )
            rows.extend(dict(row._mapping) for row in connection.execute(query))
    rows.sort(key=lambda row: (row["gpu_id"], row["minute"]))
    return rows
