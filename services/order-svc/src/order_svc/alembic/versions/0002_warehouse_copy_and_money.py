"""What order-svc knows of the warehouse's copy of an order: confirmations awaiting its answer,
the last one it applied, and when the order was first reported packed (corrections stop there);
the amount of an authorization that did not match the order's total; and money columns without
a fixed scale, so each amount keeps its currency's minor units.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


MONEY_COLUMNS = (
    ("catalog_items", "unit_price"),
    ("orders", "total"),
    ("order_lines", "unit_price"),
    ("invoices", "subtotal"),
    ("invoices", "tax"),
    ("invoices", "total"),
)


def upgrade() -> None:
    for table, column in MONEY_COLUMNS:  # each amount keeps its currency's minor units (JPY 0, KWD 3)
        op.alter_column(table, column, type_=sa.Numeric(), existing_nullable=False)
    op.add_column("orders", sa.Column("awaiting_confirmations", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")))
    op.add_column("orders", sa.Column("warehouse_copy", JSONB))
    op.add_column("orders", sa.Column("packed_at", sa.DateTime(timezone=True)))
    op.add_column("orders", sa.Column("authorized_amount", sa.Numeric))


def downgrade() -> None:
    for table, column in MONEY_COLUMNS:
        op.alter_column(table, column, type_=sa.Numeric(12, 2), existing_nullable=False)
    op.drop_column("orders", "authorized_amount")
    op.drop_column("orders", "packed_at")
    op.drop_column("orders", "warehouse_copy")
    op.drop_column("orders", "awaiting_confirmations")
