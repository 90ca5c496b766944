"""MIG instances as GPUs (parent, profile); aborted and failed inference requests

Revision ID: 0002_i11
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_i11"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SERVER_TABLES = ("server_minutes", "server_rollups")


def upgrade() -> None:
    with op.batch_alter_table("gpus", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_uuid", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("mig_profile", sa.String(length=50), nullable=True))
    for table in _SERVER_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("aborted_requests", sa.BigInteger(), nullable=True))
            batch_op.add_column(sa.Column("failed_requests", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for table in _SERVER_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("failed_requests")
            batch_op.drop_column("aborted_requests")
    with op.batch_alter_table("gpus", schema=None) as batch_op:
        batch_op.drop_column("mig_profile")
        batch_op.drop_column("parent_uuid")
