"""Packed hourly rollups and latency buckets: one row per GPU (inference server) per UTC day

Revision ID: 0004_archive
Revises: 0003_i15
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import golocal.db.types

revision: str = "0004_archive"
down_revision: str | None = "0003_i15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ARCHIVES = (
    ("gpu_hour_archive", "gpu_id", "gpus", "hours"),
    ("server_hour_archive", "server_id", "inference_servers", "hours"),
    ("server_latency_days", "server_id", "inference_servers", "buckets"),
)


def upgrade() -> None:
    for table, key, owner, record in _ARCHIVES:
        op.create_table(
            table,
            sa.Column("day", golocal.db.types.UTCDateTime(), nullable=False),
            sa.Column(key, sa.Integer(), nullable=False),
            sa.Column(record, sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(
                [key], [f"{owner}.id"], name=op.f(f"fk_{table}_{key}_{owner}"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("day", key, name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_{key}"), table, [key], unique=False)


def downgrade() -> None:
    for table, key, _owner, _record in reversed(_ARCHIVES):
        op.drop_index(op.f(f"ix_{table}_{key}"), table_name=table)
        op.drop_table(table)
