"""Aggregates over recent windows that the alert rules and the digest read, in SQL.

Each function returns plain records; the rules that judge them live in
:mod:`golocal.jobs.alerts` and :mod:`golocal.jobs.digest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from golocal.db.database import Database
from golocal.db.models import (
    Gpu,
    GpuMinute,
    GpuRollup,
    InferenceServer,
    ServerMinute,
    UsageBucket,
)


@dataclass(frozen=True, slots=True)
class GpuWindow:
    """One GPU's minutes in a window: how many, and the minima/maxima the rules need."""

    gpu_id: int
    label: str
    lost: bool
    minutes: int
    util_min: float | None
    mem_fraction_min: float | None
    temp_min: float | None
    temp_max: float | None
    throttled_s: float


@dataclass(frozen=True, slots=True)
class ServerWindow:
    """One inference server's minutes in a window."""

    server_id: int
    name: str
    minutes: int
    waiting_min: float | None
    kv_cache_min: float | None


def _gpu_label(gpu: Gpu) -> str:
    return f"{gpu.host} GPU {gpu.gpu_index}" + (f" ({gpu.name})" if gpu.name else "")


def gpu_windows(database: Database, since: datetime, until: datetime) -> list[GpuWindow]:
    """Per GPU, the minute rows with ``since <= minute < until`` (GPUs without rows too)."""
    mem_fraction = GpuMinute.mem_used_mean_mib / func.nullif(Gpu.memory_total_mib, 0)
    query = (
        select(
            GpuMinute.gpu_id,
            func.count(),
            func.min(GpuMinute.util_mean),
            func.min(mem_fraction),
            func.min(GpuMinute.temp_max_c),
            func.max(GpuMinute.temp_max_c),
            func.coalesce(func.sum(GpuMinute.throttled_s), 0.0),
        )
        .join(Gpu, Gpu.id == GpuMinute.gpu_id)
        .where(GpuMinute.minute >= since, GpuMinute.minute < until)
        .group_by(GpuMinute.gpu_id)
    )
    with database.session() as session:
        stats = {row[0]: row for row in session.execute(query)}
        gpus = session.scalars(select(Gpu).order_by(Gpu.host, Gpu.gpu_index)).all()
        windows = []
        for gpu in gpus:
            row = stats.get(gpu.id)
            windows.append(
                GpuWindow(
                    gpu_id=gpu.id,
                    label=_gpu_label(gpu),
                    lost=gpu.lost,
                    minutes=int(row[1]) if row else 0,
                    util_min=row[2] if row else None,
                    mem_fraction_min=None if not row or row[3] is None else float(row[3]),
                    temp_min=row[4] if row else None,
                    temp_max=row[5] if row else None,
                    throttled_s=float(row[6] or 0.0) if row else 0.0,  # coalesced in SQL
                )
            )
        return windows


def server_windows(database: Database, since: datetime, until: datetime) -> list[ServerWindow]:
    """Per inference server, its minute rows with ``since <= minute < until``."""
    query = (
        select(
            InferenceServer.id,
            InferenceServer.name,
            func.count(ServerMinute.minute),
            func.min(ServerMinute.waiting_max),
            func.min(ServerMinute.kv_cache_mean),
        )
        .outerjoin(
            ServerMinute,
            and_(
                ServerMinute.server_id == InferenceServer.id,
                ServerMinute.minute >= since,
                ServerMinute.minute < until,
            ),
        )
        .group_by(InferenceServer.id, InferenceServer.name)
        .order_by(InferenceServer.name)
    )
    with database.engine.connect() as connection:
        return [
            ServerWindow(
                server_id=row[0],
                name=row[1],
                minutes=int(row[2]),
                waiting_min=row[3],
                kv_cache_min=row[4],
            )
            for row in connection.execute(query)
        ]


@dataclass(frozen=True, slots=True)
class UnpricedModel:
    """Cloud usage of one (provider, model) with tokens or requests but no known cost."""

    provider: str
    model: str
    buckets: int
    requests: int | None
    tokens: int


def unpriced_usage(database: Database, since: datetime, until: datetime) -> list[UnpricedModel]:
    """Cloud buckets that reported usage but no cost (NULL, never 0), per provider/model."""
    tokens = func.coalesce(UsageBucket.input_tokens, 0) + func.coalesce(
        UsageBucket.output_tokens, 0
    )
    query = (
        select(
            UsageBucket.provider,
            UsageBucket.model,
            func.count(),
            func.sum(UsageBucket.requests),
            func.coalesce(func.sum(tokens), 0),
        )
        .where(
            UsageBucket.location == "cloud",
            UsageBucket.cost_usd.is_(None),
            UsageBucket.bucket_start >= since,
            UsageBucket.bucket_start < until,
            or_(tokens > 0, UsageBucket.requests > 0),
        )
        .group_by(UsageBucket.provider, UsageBucket.model)
        .order_by(UsageBucket.provider, UsageBucket.model)
    )
    with database.engine.connect() as connection:
        return [
            UnpricedModel(
                provider=row[0],
                model=row[1],
                buckets=int(row[2]),
                requests=None if row[3] is None else int(row[3]),
                tokens=int(row[4]),
            )
            for row in connection.execute(query)
        ]


@dataclass(frozen=True, slots=True)
class GpuWeek:
    """Local GPU figures over a range, from hourly rollups."""

    gpus: int
    hours: int
    util_mean: float | None
    energy_kwh: float | None
    saturated_minutes: float
    throttled_minutes: float
    temp_max_c: float | None
    lost: int


def gpu_week(database: Database, since: datetime, until: datetime) -> GpuWeek:
    """GPU utilisation, energy, saturation and throttling from ``GpuRollup`` hour rows."""
    weight = GpuRollup.minutes
    query = select(
        func.count(func.distinct(GpuRollup.gpu_id)),
        func.count(),
        func.sum(GpuRollup.util_mean * weight) / func.nullif(func.sum(weight), 0),
        func.sum(GpuRollup.energy_j),
        func.coalesce(func.sum(GpuRollup.saturated_s), 0.0),
        func.coalesce(func.sum(GpuRollup.throttled_s), 0.0),
        func.max(GpuRollup.temp_max_c),
    ).where(
        GpuRollup.resolution == "hour",
        GpuRollup.bucket_start >= since,
        GpuRollup.bucket_start < until,
    )
    lost_query = select(func.count()).select_from(Gpu).where(Gpu.lost.is_(True))
    with database.engine.connect() as connection:
        row = connection.execute(query).one()
        lost = int(connection.execute(lost_query).scalar_one())
    return GpuWeek(
        gpus=int(row[0]),
        hours=int(row[1]),
        util_mean=None if row[2] is None else float(row[2]),
        energy_kwh=None if row[3] is None else float(row[3]) / 3_600_000,
        saturated_minutes=float(row[4] or 0.0) / 60,  # coalesced in SQL
        throttled_minutes=float(row[5] or 0.0) / 60,
        temp_max_c=row[6],
        lost=lost,
    )
