"""Aggregates over recent windows that the alert rules and the digest read, in SQL.

Each function returns plain records; the rules that judge them live in
:mod:`golocal.jobs.alerts` and :mod:`golocal.jobs.digest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from golocal.db.database import Database
from golocal.db.hour_archive import archived_hours, null_sum
from golocal.db.models import (
    Gpu,
    GpuMinute,
    GpuRollup,
    InferenceServer,
    ServerMinute,
    UsageBucket,
)
from golocal.db.rollups import GPU


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
    """GPU utilisation, energy, saturation and throttling from the hourly rollups, rows
    and packed days (:mod:`golocal.db.hour_archive`) alike."""
    r = GpuRollup
    query = (
        select(
            r.gpu_id,
            func.count(),
            func.sum(r.util_mean * r.minutes),
            func.sum(r.minutes),
            func.sum(r.energy_j),
            func.sum(r.saturated_s),
            func.sum(r.throttled_s),
            func.max(r.temp_max_c),
        )
        .where(r.resolution == "hour", r.bucket_start >= since, r.bucket_start < until)
        .group_by(r.gpu_id)
    )
    lost_query = select(func.count()).select_from(Gpu).where(Gpu.lost.is_(True))
    gpus: set[int] = set()
    hours, weight = 0, 0.0
    util: float | None = None
    energy: float | None = None
    saturated = throttled = 0.0
    temp: float | None = None
    with database.engine.connect() as connection:
        rows: list[tuple[Any, ...]] = [tuple(row) for row in connection.execute(query)]
        rows += [
            (
                hour.key,
                1,
                None if v["util_mean"] is None else v["util_mean"] * v["minutes"],
                v["minutes"],
                v["energy_j"],
                v["saturated_s"],
                v["throttled_s"],
                v["temp_max_c"],
            )
            for hour in archived_hours(connection, GPU, since, until)
            for v in (hour.values,)
        ]
        lost = int(connection.execute(lost_query).scalar_one())
    for gpu, count, util_weighted, minutes, joules, sat, thr, hottest in rows:
        gpus.add(gpu)
        hours += int(count)
        weight += float(minutes or 0)
        util, energy = null_sum(util, util_weighted), null_sum(energy, joules)
        saturated += float(sat or 0.0)
        throttled += float(thr or 0.0)
        if hottest is not None and (temp is None or hottest > temp):
            temp = float(hottest)
    return GpuWeek(
        gpus=len(gpus),
        hours=hours,
        util_mean=None if util is None or not weight else util / weight,
        energy_kwh=None if energy is None else energy / 3_600_000,
        saturated_minutes=saturated / 60,
        throttled_minutes=throttled / 60,
        temp_max_c=temp,
        lost=lost,
    )
