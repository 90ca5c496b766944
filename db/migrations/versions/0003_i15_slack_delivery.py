"""Slack delivery: alert notification leases and ChatOps actions; blocked Slack channels

Revision ID: 0003_i15
Revises: 0003_i13
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import golocal.db.types

revision: str = "0003_i15"
down_revision: str | None = "0003_i13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INCIDENT_TIMES = ("lease_until", "acked_at", "snoozed_until")
_INCIDENT_USERS = ("acked_by", "snoozed_by", "resolved_by")


def upgrade() -> None:
    with op.batch_alter_table("alert_incidents", schema=None) as batch_op:
        for name in _INCIDENT_TIMES:
            batch_op.add_column(sa.Column(name, golocal.db.types.UTCDateTime(), nullable=True))
        for name in _INCIDENT_USERS:
            batch_op.add_column(sa.Column(name, sa.String(length=50), nullable=True))
    op.create_table(
        "slack_deliveries",
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("error", sa.String(length=100), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("config", sa.String(length=64), nullable=False),
        sa.Column("failed_at", golocal.db.types.UTCDateTime(), nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_slack_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("slack_deliveries")
    with op.batch_alter_table("alert_incidents", schema=None) as batch_op:
        for name in (*_INCIDENT_USERS, *_INCIDENT_TIMES):
            batch_op.drop_column(name)
