"""The storage schema (docs/ARCHITECTURE.md, "Storage") as typed SQLAlchemy 2 models.

Counts, tokens and money only: no prompt or completion content has a column here.

Natural keys use ``''`` (not NULL) for "no such dimension", because both SQLite and
PostgreSQL treat NULLs in a unique constraint as distinct, which would let a re-collected
window insert a second copy of the same bucket.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from golocal.db.types import Money, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Sources named with this prefix are synthetic (``golocal demo``) and never mix with real data.
DEMO_PREFIX = "demo:"


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints identically."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _dim(length: int = 200) -> Mapped[str]:
    """A natural-key dimension: empty string when the source does not report it."""
    return mapped_column(String(length), nullable=False, default="", server_default="")


class UsageBucket(Base):
    """Requests, tokens and money of one source for one time bucket and one set of dimensions."""

    __tablename__ = "usage_buckets"
    __table_args__ = (
        UniqueConstraint(
            "source",
            "bucket_start",
            "bucket_seconds",
            "provider",
            "model",
            "project",
            "api_key",
            "variant",
            name="uq_usage_buckets_natural_key",
        ),
        Index("ix_usage_buckets_start", "bucket_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime())
    bucket_seconds: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(10))  # cloud | local
    provider: Mapped[str] = _dim(100)
    model: Mapped[str] = _dim()
    project: Mapped[str] = _dim()
    api_key: Mapped[str] = _dim()  # the provider's key *id*, never the key itself
    #: Further dimensions that split a bucket (batch, service tier, ...), e.g. "batch=true".
    variant: Mapped[str] = _dim()
    team: Mapped[str | None] = mapped_column(String(100))
    requests: Mapped[int | None] = mapped_column(BigInteger)
    input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cached_input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int | None] = mapped_column(BigInteger)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cost_usd: Mapped[Decimal | None] = mapped_column(Money())
    cost_estimated: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CostLine(Base):
    """A line of a provider's own cost report (money as the provider billed it)."""

    __tablename__ = "cost_lines"
    __table_args__ = (
        UniqueConstraint(
            "source",
            "bucket_start",
            "bucket_seconds",
            "project",
            "api_key",
            "line_item",
            name="uq_cost_lines_natural_key",
        ),
        Index("ix_cost_lines_start", "bucket_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(100))
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime())
    bucket_seconds: Mapped[int] = mapped_column(Integer)
    project: Mapped[str] = _dim()
    api_key: Mapped[str] = _dim()
    line_item: Mapped[str] = _dim(300)
    model: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(10), default="USD")
    team: Mapped[str | None] = mapped_column(String(100))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Gpu(Base):
    """A GPU golocal has seen, on a host, through some telemetry source."""

    __tablename__ = "gpus"
    __table_args__ = (UniqueConstraint("source", "host", "uuid", name="uq_gpus_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    host: Mapped[str] = mapped_column(String(200))
    gpu_index: Mapped[int] = mapped_column(Integer)
    uuid: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    memory_total_mib: Mapped[int | None] = mapped_column(Integer)
    power_limit_w: Mapped[float | None] = mapped_column(Float)
    #: a MIG instance: the physical GPU it is carved from (``None`` for a whole GPU)
    parent_uuid: Mapped[str | None] = mapped_column(String(100))
    #: a MIG instance's profile, e.g. ``3g.40gb``
    mig_profile: Mapped[str | None] = mapped_column(String(50))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    lost: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class GpuAggregates:
    """Columns shared by the per-minute GPU table and its rollups (means, maxima, sums)."""

    samples: Mapped[int] = mapped_column(Integer, default=0)
    util_mean: Mapped[float | None] = mapped_column(Float)
    util_max: Mapped[float | None] = mapped_column(Float)
    mem_util_mean: Mapped[float | None] = mapped_column(Float)
    mem_used_mean_mib: Mapped[float | None] = mapped_column(Float)
    mem_used_max_mib: Mapped[float | None] = mapped_column(Float)
    power_mean_w: Mapped[float | None] = mapped_column(Float)
    power_max_w: Mapped[float | None] = mapped_column(Float)
    energy_j: Mapped[float | None] = mapped_column(Float)
    temp_max_c: Mapped[float | None] = mapped_column(Float)
    throttled_s: Mapped[float | None] = mapped_column(Float)
    saturated_s: Mapped[float | None] = mapped_column(Float)


class GpuMinute(GpuAggregates, Base):
    """One minute of one GPU: means and maxima of the samples taken in it."""

    __tablename__ = "gpu_minutes"
    __table_args__ = (Index("ix_gpu_minutes_minute", "minute"),)

    gpu_id: Mapped[int] = mapped_column(ForeignKey("gpus.id", ondelete="CASCADE"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)


class GpuRollup(GpuAggregates, Base):
    """Rollups of :class:`GpuMinute`: ``resolution`` ``'hour'``, ``'day'``, ``'week'``
    (ISO, from Monday) and ``'month'`` (see :mod:`golocal.db.rollups`)."""

    __tablename__ = "gpu_rollups"
    __table_args__ = (Index("ix_gpu_rollups_resolution_start", "resolution", "bucket_start"),)

    gpu_id: Mapped[int] = mapped_column(ForeignKey("gpus.id", ondelete="CASCADE"), primary_key=True)
    resolution: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, default=0)


class GpuHourArchive(Base):
    """The hourly rollups of one GPU's UTC day, packed into one row once they are older
    than ``retention.pack_hours_after_days`` (see :mod:`golocal.db.hour_archive`)."""

    __tablename__ = "gpu_hour_archive"
    __table_args__ = (Index("ix_gpu_hour_archive_gpu_id", "gpu_id"),)

    day: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    gpu_id: Mapped[int] = mapped_column(ForeignKey("gpus.id", ondelete="CASCADE"), primary_key=True)
    hours: Mapped[bytes] = mapped_column(LargeBinary)


class InferenceServer(Base):
    """A local inference server (vLLM, llama.cpp, TGI, SGLang, Ollama) golocal scrapes."""

    __tablename__ = "inference_servers"
    __table_args__ = (UniqueConstraint("name", name="uq_inference_servers_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(500), default="")
    model: Mapped[str | None] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class ServerAggregates:
    """Columns shared by the per-minute inference-server table and its rollups.

    Counter columns (requests, tokens, latency sums) hold increases over the bucket; a
    server that exposes no request counter leaves ``requests`` NULL, never 0.
    ``aborted_requests`` (cancelled by the client: part of ``requests``) and
    ``failed_requests`` (the server's errors: not part of ``requests``) are NULL where the
    server does not tell them apart.
    """

    samples: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int | None] = mapped_column(BigInteger)
    aborted_requests: Mapped[int | None] = mapped_column(BigInteger)
    failed_requests: Mapped[int | None] = mapped_column(BigInteger)
    prompt_tokens: Mapped[int | None] = mapped_column(BigInteger)
    generation_tokens: Mapped[int | None] = mapped_column(BigInteger)
    running_mean: Mapped[float | None] = mapped_column(Float)
    running_max: Mapped[float | None] = mapped_column(Float)
    waiting_mean: Mapped[float | None] = mapped_column(Float)
    waiting_max: Mapped[float | None] = mapped_column(Float)
    kv_cache_mean: Mapped[float | None] = mapped_column(Float)
    kv_cache_max: Mapped[float | None] = mapped_column(Float)
    latency_sum_s: Mapped[float | None] = mapped_column(Float)
    latency_count: Mapped[int | None] = mapped_column(BigInteger)
    saturated_s: Mapped[float | None] = mapped_column(Float)


class ServerMinute(ServerAggregates, Base):
    """One minute of one inference server: counter increases and gauge means/maxima."""

    __tablename__ = "server_minutes"
    __table_args__ = (Index("ix_server_minutes_minute", "minute"),)

    server_id: Mapped[int] = mapped_column(
        ForeignKey("inference_servers.id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)


class ServerRollup(ServerAggregates, Base):
    """Rollups of :class:`ServerMinute`, at the same resolutions as :class:`GpuRollup`."""

    __tablename__ = "server_rollups"
    __table_args__ = (Index("ix_server_rollups_resolution_start", "resolution", "bucket_start"),)

    server_id: Mapped[int] = mapped_column(
        ForeignKey("inference_servers.id", ondelete="CASCADE"), primary_key=True
    )
    resolution: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, default=0)


class ServerDay:
    """The key of a table holding one packed row per inference server per UTC day."""

    day: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    server_id: Mapped[int] = mapped_column(
        ForeignKey("inference_servers.id", ondelete="CASCADE"), primary_key=True
    )


class ServerHourArchive(ServerDay, Base):
    """The hourly rollups of one inference server's UTC day, packed like
    :class:`GpuHourArchive`."""

    __tablename__ = "server_hour_archive"
    __table_args__ = (Index("ix_server_hour_archive_server_id", "server_id"),)

    hours: Mapped[bytes] = mapped_column(LargeBinary)


class ServerLatencyBucket(Base):
    """Daily increases of an inference server's latency histogram buckets (``bucket_start``
    is the UTC day; an hour in data written by earlier versions and by the demo).

    ``metric`` is ``ttft`` (time to first token), ``e2e`` (end to end) or ``queue``; ``le`` is
    the bucket's upper bound as the server exposes it ("0.1", "+Inf"); ``count`` is how many
    requests the bucket's *cumulative* count grew by in the day. Kept so percentiles
    (p50/p95) can be computed for any window, not just a mean from sum and count.
    """

    __tablename__ = "server_latency_buckets"
    __table_args__ = (Index("ix_server_latency_buckets_start", "bucket_start"),)

    server_id: Mapped[int] = mapped_column(
        ForeignKey("inference_servers.id", ondelete="CASCADE"), primary_key=True
    )
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    metric: Mapped[str] = mapped_column(String(8), primary_key=True)
    le: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class ServerLatencyDay(ServerDay, Base):
    """One inference server's latency bucket increases of a whole UTC day, packed once the
    day is two days old (``buckets``: see :mod:`golocal.db.latency`)."""

    __tablename__ = "server_latency_days"
    __table_args__ = (Index("ix_server_latency_days_server_id", "server_id"),)

    buckets: Mapped[bytes] = mapped_column(LargeBinary)


class SourceStatus(Base):
    """Per-source collection state: cursor, last success, last error (backfill after downtime)."""

    __tablename__ = "source_status"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default="")
    cursor: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Attribution(Base):
    """Maps a cloud project / workspace / API key id (or a local server) to a team and tag."""

    __tablename__ = "attributions"
    __table_args__ = (
        UniqueConstraint("provider", "kind", "external_id", name="uq_attributions_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))  # project | workspace | api_key | server
    external_id: Mapped[str] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(100))
    sensitivity: Mapped[str | None] = mapped_column(String(20))  # regulated|proprietary|public
    label: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChecklistAnswer(Base):
    """A declared checklist answer; append-only, the newest per (key, scope) is current."""

    __tablename__ = "checklist_answers"
    __table_args__ = (Index("ix_checklist_answers_key_scope", "key", "scope", "answered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = _dim(100)  # a project/team, or '' for the whole organisation
    value: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[str] = mapped_column(String(100))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertIncident(Base):
    """One alert incident from firing to resolution, with its notification state."""

    __tablename__ = "alert_incidents"
    __table_args__ = (
        # open_key is the dedupe key while firing and NULL once resolved: at most one open
        # incident per key, on both dialects, without partial indexes.
        UniqueConstraint("open_key", name="uq_alert_incidents_open_key"),
        Index("ix_alert_incidents_rule_key", "rule", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(300))
    open_key: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(10))  # firing | resolved
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notify_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    channel: Mapped[str | None] = mapped_column(String(50))
    thread_ts: Mapped[str | None] = mapped_column(String(50))
    #: A notification being sent holds this lease; a sender that died lets it expire.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who acknowledged / snoozed / resolved it from Slack, and when.
    acked_by: Mapped[str | None] = mapped_column(String(50))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snoozed_by: Mapped[str | None] = mapped_column(String(50))
    resolved_by: Mapped[str | None] = mapped_column(String(50))


class SlackDelivery(Base):
    """A Slack channel golocal cannot post to until its configuration changes."""

    __tablename__ = "slack_deliveries"

    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    #: Slack's error code (``not_in_channel``, ``missing_scope``, ...).
    error: Mapped[str] = mapped_column(String(100))
    #: One line saying how to fix it.
    fix: Mapped[str] = mapped_column(Text)
    #: Fingerprint of the configuration that failed (channel, API URL, token digest).
    config: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DigestPost(Base):
    """A weekly digest for one channel; the unique key makes posting exactly-once."""

    __tablename__ = "digest_posts"
    __table_args__ = (UniqueConstraint("period", "channel", name="uq_digest_posts_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(20))  # ISO week, e.g. 2026-W12
    channel: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(10))  # pending | posted | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_ts: Mapped[str | None] = mapped_column(String(50))
    last_error: Mapped[str | None] = mapped_column(Text)


class SchemaRelease(Base):
    """Which golocal release brought the database to each revision.

    An older golocal that finds a revision it does not know reads this table to say which
    golocal version the database needs, instead of offering an upgrade that cannot work.
    """

    __tablename__ = "schema_releases"

    revision: Mapped[str] = mapped_column(String(64), primary_key=True)
    golocal_version: Mapped[str] = mapped_column(String(64))
    upgraded_at: Mapped[datetime] = mapped_column(UTCDateTime())
