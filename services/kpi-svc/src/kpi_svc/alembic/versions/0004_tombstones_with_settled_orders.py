"""kpi-svc: the tombstone of a settled order kept in its `kpi_settled` row (checkpoint layout 2)
instead of as a `kpi_orders` row of its own; restoring a partition reads them by partition.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("kpi_settled", sa.Column("tombstone_until_ms", sa.BigInteger, nullable=True))
    op.create_index(
        "kpi_settled_tombstones", "kpi_settled", ["partition", "tombstone_until_ms"],
        postgresql_where=sa.text("tombstone_until_ms IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("kpi_settled_tombstones", "kpi_settled")
    op.drop_column("kpi_settled", "tombstone_until_ms")
