"""order-svc's first schema: platform tables, customers, catalog, orders and what hangs off them, the timeline.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from orderpulse.db.platform_tables import create_platform_tables, drop_platform_tables
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)
TIMESTAMP = sa.DateTime(timezone=True)
EMPTY_LIST = sa.text("'[]'::jsonb")


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.Text, primary_key=True),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("locale", sa.Text, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False),
        sa.Column("account_manager", sa.Text),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "catalog_items",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("max_quantity", sa.Integer, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("customer_tier", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("service_level", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("total", MONEY, nullable=False),  # kept for lists; the order derives it from lines and tax
        sa.Column("ship_country", sa.Text, nullable=False),
        sa.Column("ship_region", sa.Text, nullable=False),
        sa.Column("ship_city", sa.Text, nullable=False),
        sa.Column("ship_postal_code", sa.Text, nullable=False),
        sa.Column("ship_line1", sa.Text),
        sa.Column("tax_rate", sa.Numeric(7, 6), nullable=False),
        sa.Column("placed_at", TIMESTAMP, nullable=False),
        sa.Column("requested_at", TIMESTAMP),
        sa.Column("promised_by", TIMESTAMP, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("payment_status", sa.Text, nullable=False),
        sa.Column("payment_reference", sa.Text),
        sa.Column("discrepancies", JSONB, nullable=False, server_default=EMPTY_LIST),
        sa.Column("entry_discrepancies", JSONB, nullable=False, server_default=EMPTY_LIST),
        sa.Column("corrections", JSONB, nullable=False, server_default=EMPTY_LIST),
        sa.Column("cancelled_at", TIMESTAMP),
        sa.Column("cancel_reason", sa.Text),
        sa.Column("last_line_number", sa.Integer, nullable=False),
        sa.Column("completed_lines", JSONB, nullable=False, server_default=EMPTY_LIST),
        sa.Column("completed_at", TIMESTAMP),
        sa.Column("closed_short", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False),
    )
    # a customer's orders, newest first (GET /v1/customers/{id}/orders)
    op.create_index(
        "orders_by_customer", "orders", ["customer_id", sa.text("placed_at DESC"), sa.text("order_id DESC")]
    )
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Text, sa.ForeignKey("orders.order_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("line_id", sa.Text, nullable=False),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, sa.ForeignKey("orders.order_id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),  # issue order: the last one is in force
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("tax", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
    )
    op.create_index("invoices_by_order", "invoices", ["order_id", "position"], unique=True)
    op.create_table(
        "returns",
        sa.Column("return_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, sa.ForeignKey("orders.order_id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
    )
    op.create_index("returns_by_order", "returns", ["order_id", "position"], unique=True)
    op.create_table(
        "shipments",
        sa.Column("order_id", sa.Text, sa.ForeignKey("orders.order_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("shipment_id", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_at", TIMESTAMP, nullable=False),
        sa.Column("carrier", sa.Text),
        sa.Column("tracking_number", sa.Text),
        sa.Column("dispatched_lines", JSONB, nullable=False, server_default=EMPTY_LIST),
        sa.Column("dispatched_at", TIMESTAMP),
        sa.Column("delivered_lines", JSONB, nullable=False, server_default=EMPTY_LIST),
        sa.Column("delivered_at", TIMESTAMP),
        sa.Column("condition", sa.Text),
    )
    # no foreign key: another service may tell of an order before (or without) this one knowing it
    op.create_table(
        "timeline",
        sa.Column("position", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("data", JSONB, nullable=False),
    )
    op.create_index("timeline_by_order", "timeline", ["order_id", "occurred_at", "position"])


def downgrade() -> None:
    for table in (
        "timeline",
        "shipments",
        "returns",
        "invoices",
        "order_lines",
        "orders",
        "catalog_items",
        "customers",
    ):
        op.drop_table(table)
    drop_platform_tables()
