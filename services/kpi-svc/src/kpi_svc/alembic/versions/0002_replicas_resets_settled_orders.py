"""kpi-svc: per-partition owner epochs (a stale owner's checkpoint is refused); beside each stored
offset, the event id of the record just before it (a topic reset is recognised); settled orders'
facts, kept for scorecards and late events after they left memory.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_owners",  # bumped by every replica that restores the partition; checkpoints must match
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("epoch", sa.BigInteger, nullable=False),
    )
    op.add_column("kpi_offsets", sa.Column("last_event_id", sa.Text, nullable=True))
    op.create_index("kpi_orders_by_order_id", "kpi_orders", ["order_id"])  # scorecards on any replica
    op.create_table(
        "kpi_settled",  # an evicted order's last facts (codec payload), until keep_until_ms
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("keep_until_ms", sa.BigInteger, nullable=False, index=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kpi_settled")
    op.drop_index("kpi_orders_by_order_id", "kpi_orders")
    op.drop_column("kpi_offsets", "last_event_id")
    op.drop_table("kpi_owners")
