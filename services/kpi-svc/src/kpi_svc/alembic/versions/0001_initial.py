"""kpi-svc's first schema: platform tables and the checkpoint of the in-memory KPI engines.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from orderpulse.db.platform_tables import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "kpi_orders",  # orders, labor shifts and tombstones of one partition's engine
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "kpi_buckets",
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "kpi_meta",
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "kpi_offsets",
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("kpi_offsets", "kpi_meta", "kpi_buckets", "kpi_orders"):
        op.drop_table(table)
    drop_platform_tables()
