"""schema_releases: the golocal version that brought the database to each revision

Revision ID: 0002_i16
Revises: 0002_i11
Create Date: 2026-11-27 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import golocal.db.types

revision: str = "0002_i16"
down_revision: str | None = "0002_i11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schema_releases",
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("golocal_version", sa.String(length=64), nullable=False),
        sa.Column("upgraded_at", golocal.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_schema_releases")),
    )


def downgrade() -> None:
    op.drop_table("schema_releases")
