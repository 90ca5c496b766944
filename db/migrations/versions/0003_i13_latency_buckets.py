"""Inference servers' latency histogram buckets (TTFT, end to end, queue), hourly

Revision ID: 0003_i13
Revises: 0002_i16
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import golocal.db.types

revision: str = "0003_i13"
down_revision: str | None = "0002_i16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "server_latency_buckets",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("bucket_start", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("metric", sa.String(length=8), nullable=False),
        sa.Column("le", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["server_id"], ["inference_servers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("server_id", "bucket_start", "metric", "le"),
    )
    with op.batch_alter_table("server_latency_buckets", schema=None) as batch_op:
        batch_op.create_index("ix_server_latency_buckets_start", ["bucket_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("server_latency_buckets", schema=None) as batch_op:
        batch_op.drop_index("ix_server_latency_buckets_start")
    op.drop_table("server_latency_buckets")
