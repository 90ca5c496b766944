"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 03:10:51.124170
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import golocal.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("open_key", sa.String(length=300), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("first_seen", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", golocal.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_notified_at", golocal.db.types.UTCDateTime(), nullable=True),
        sa.Column("notify_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("thread_ts", sa.String(length=50), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_incidents")),
        sa.UniqueConstraint("open_key", name="uq_alert_incidents_open_key"),
    )
    with op.batch_alter_table("alert_incidents", schema=None) as batch_op:
        batch_op.create_index("ix_alert_incidents_rule_key", ["rule", "key"], unique=False)

    op.create_table(
        "attributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("sensitivity", sa.String(length=20), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", golocal.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attributions")),
        sa.UniqueConstraint("provider", "kind", "external_id", name="uq_attributions_target"),
    )
    op.create_table(
        "checklist_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("scope", sa.String(length=100), server_default="", nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=100), nullable=False),
        sa.Column("answered_at", golocal.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_answers")),
    )
    with op.batch_alter_table("checklist_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checklist_answers_key_scope", ["key", "scope", "answered_at"], unique=False
        )

    op.create_table(
        "cost_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("bucket_start", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("bucket_seconds", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=200), server_default="", nullable=False),
        sa.Column("api_key", sa.String(length=200), server_default="", nullable=False),
        sa.Column("line_item", sa.String(length=300), server_default="", nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("amount", golocal.db.types.Money(), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("collected_at", golocal.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_lines")),
        sa.UniqueConstraint(
            "source",
            "bucket_start",
            "bucket_seconds",
            "project",
            "api_key",
            "line_item",
            name="uq_cost_lines_natural_key",
        ),
    )
    with op.batch_alter_table("cost_lines", schema=None) as batch_op:
        batch_op.create_index("ix_cost_lines_start", ["bucket_start"], unique=False)

    op.create_table(
        "digest_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("posted_at", golocal.db.types.UTCDateTime(), nullable=True),
        sa.Column("message_ts", sa.String(length=50), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_posts")),
        sa.UniqueConstraint("period", "channel", name="uq_digest_posts_period"),
    )
    op.create_table(
        "gpus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("gpu_index", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("memory_total_mib", sa.Integer(), nullable=True),
        sa.Column("power_limit_w", sa.Float(), nullable=True),
        sa.Column("first_seen", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("lost", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gpus")),
        sa.UniqueConstraint("source", "host", "uuid", name="uq_gpus_identity"),
    )
    op.create_table(
        "inference_servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("first_seen", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen", golocal.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inference_servers")),
        sa.UniqueConstraint("name", name="uq_inference_servers_name"),
    )
    op.create_table(
        "source_status",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("cursor", golocal.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_attempt_at", golocal.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", golocal.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", golocal.db.types.UTCDateTime(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_status")),
    )
    op.create_table(
        "usage_buckets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("bucket_start", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("bucket_seconds", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.String(length=100), server_default="", nullable=False),
        sa.Column("model", sa.String(length=200), server_default="", nullable=False),
        sa.Column("project", sa.String(length=200), server_default="", nullable=False),
        sa.Column("api_key", sa.String(length=200), server_default="", nullable=False),
        sa.Column("variant", sa.String(length=200), server_default="", nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("requests", sa.BigInteger(), nullable=True),
        sa.Column("input_tokens", sa.BigInteger(), nullable=True),
        sa.Column("cached_input_tokens", sa.BigInteger(), nullable=True),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=True),
        sa.Column("output_tokens", sa.BigInteger(), nullable=True),
        sa.Column("cost_usd", golocal.db.types.Money(), nullable=True),
        sa.Column("cost_estimated", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("collected_at", golocal.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_buckets")),
        sa.UniqueConstraint(
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
    )
    with op.batch_alter_table("usage_buckets", schema=None) as batch_op:
        batch_op.create_index("ix_usage_buckets_start", ["bucket_start"], unique=False)

    op.create_table(
        "gpu_minutes",
        sa.Column("gpu_id", sa.Integer(), nullable=False),
        sa.Column("minute", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("util_mean", sa.Float(), nullable=True),
        sa.Column("util_max", sa.Float(), nullable=True),
        sa.Column("mem_util_mean", sa.Float(), nullable=True),
        sa.Column("mem_used_mean_mib", sa.Float(), nullable=True),
        sa.Column("mem_used_max_mib", sa.Float(), nullable=True),
        sa.Column("power_mean_w", sa.Float(), nullable=True),
        sa.Column("power_max_w", sa.Float(), nullable=True),
        sa.Column("energy_j", sa.Float(), nullable=True),
        sa.Column("temp_max_c", sa.Float(), nullable=True),
        sa.Column("throttled_s", sa.Float(), nullable=True),
        sa.Column("saturated_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["gpu_id"], ["gpus.id"], name=op.f("fk_gpu_minutes_gpu_id_gpus"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("gpu_id", "minute", name=op.f("pk_gpu_minutes")),
    )
    with op.batch_alter_table("gpu_minutes", schema=None) as batch_op:
        batch_op.create_index("ix_gpu_minutes_minute", ["minute"], unique=False)

    op.create_table(
        "gpu_rollups",
        sa.Column("gpu_id", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.String(length=8), nullable=False),
        sa.Column("bucket_start", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("util_mean", sa.Float(), nullable=True),
        sa.Column("util_max", sa.Float(), nullable=True),
        sa.Column("mem_util_mean", sa.Float(), nullable=True),
        sa.Column("mem_used_mean_mib", sa.Float(), nullable=True),
        sa.Column("mem_used_max_mib", sa.Float(), nullable=True),
        sa.Column("power_mean_w", sa.Float(), nullable=True),
        sa.Column("power_max_w", sa.Float(), nullable=True),
        sa.Column("energy_j", sa.Float(), nullable=True),
        sa.Column("temp_max_c", sa.Float(), nullable=True),
        sa.Column("throttled_s", sa.Float(), nullable=True),
        sa.Column("saturated_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["gpu_id"], ["gpus.id"], name=op.f("fk_gpu_rollups_gpu_id_gpus"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "gpu_id", "resolution", "bucket_start", name=op.f("pk_gpu_rollups")
        ),
    )
    with op.batch_alter_table("gpu_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gpu_rollups_resolution_start", ["resolution", "bucket_start"], unique=False
        )

    op.create_table(
        "server_minutes",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("minute", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=True),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=True),
        sa.Column("generation_tokens", sa.BigInteger(), nullable=True),
        sa.Column("running_mean", sa.Float(), nullable=True),
        sa.Column("running_max", sa.Float(), nullable=True),
        sa.Column("waiting_mean", sa.Float(), nullable=True),
        sa.Column("waiting_max", sa.Float(), nullable=True),
        sa.Column("kv_cache_mean", sa.Float(), nullable=True),
        sa.Column("kv_cache_max", sa.Float(), nullable=True),
        sa.Column("latency_sum_s", sa.Float(), nullable=True),
        sa.Column("latency_count", sa.BigInteger(), nullable=True),
        sa.Column("saturated_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["inference_servers.id"],
            name=op.f("fk_server_minutes_server_id_inference_servers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("server_id", "minute", name=op.f("pk_server_minutes")),
    )
    with op.batch_alter_table("server_minutes", schema=None) as batch_op:
        batch_op.create_index("ix_server_minutes_minute", ["minute"], unique=False)

    op.create_table(
        "server_rollups",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.String(length=8), nullable=False),
        sa.Column("bucket_start", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=True),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=True),
        sa.Column("generation_tokens", sa.BigInteger(), nullable=True),
        sa.Column("running_mean", sa.Float(), nullable=True),
        sa.Column("running_max", sa.Float(), nullable=True),
        sa.Column("waiting_mean", sa.Float(), nullable=True),
        sa.Column("waiting_max", sa.Float(), nullable=True),
        sa.Column("kv_cache_mean", sa.Float(), nullable=True),
        sa.Column("kv_cache_max", sa.Float(), nullable=True),
        sa.Column("latency_sum_s", sa.Float(), nullable=True),
        sa.Column("latency_count", sa.BigInteger(), nullable=True),
        sa.Column("saturated_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["inference_servers.id"],
            name=op.f("fk_server_rollups_server_id_inference_servers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "server_id", "resolution", "bucket_start", name=op.f("pk_server_rollups")
        ),
    )
    with op.batch_alter_table("server_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_server_rollups_resolution_start", ["resolution", "bucket_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("server_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_server_rollups_resolution_start")

    op.drop_table("server_rollups")
    with op.batch_alter_table("server_minutes", schema=None) as batch_op:
        batch_op.drop_index("ix_server_minutes_minute")

    op.drop_table("server_minutes")
    with op.batch_alter_table("gpu_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_gpu_rollups_resolution_start")

    op.drop_table("gpu_rollups")
    with op.batch_alter_table("gpu_minutes", schema=None) as batch_op:
        batch_op.drop_index("ix_gpu_minutes_minute")

    op.drop_table("gpu_minutes")
    with op.batch_alter_table("usage_buckets", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_buckets_start")

    op.drop_table("usage_buckets")
    op.drop_table("source_status")
    op.drop_table("inference_servers")
    op.drop_table("gpus")
    op.drop_table("digest_posts")
    with op.batch_alter_table("cost_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_cost_lines_start")

    op.drop_table("cost_lines")
    with op.batch_alter_table("checklist_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_answers_key_scope")

    op.drop_table("checklist_answers")
    op.drop_table("attributions")
    with op.batch_alter_table("alert_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_incidents_rule_key")

    op.drop_table("alert_incidents")
