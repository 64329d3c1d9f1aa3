"""order-svc's tables (SQLAlchemy Core), unqualified: every connection's search_path is the service's schema.

The shape is created by `alembic/versions/`; this module describes it for queries. Lists that
are only ever read and written whole with their owner (discrepancies, corrections, invoice and
return lines) are JSONB; lines and shipments, which other queries look at, have their own rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

Money = Numeric()  # no fixed scale: each amount keeps its currency's minor units (JPY 0, KWD 3)
Timestamp = DateTime(timezone=True)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("tier", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("locale", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("account_manager", Text),
    Column("updated_at", Timestamp, nullable=False),
)

catalog_items = Table(
    "catalog_items",
    metadata,
    Column("sku", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("currency", Text, nullable=False),
    Column("max_quantity", Integer, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("customer_tier", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("service_level", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("total", Money, nullable=False),
    Column("ship_country", Text, nullable=False),
    Column("ship_region", Text, nullable=False),
    Column("ship_city", Text, nullable=False),
    Column("ship_postal_code", Text, nullable=False),
    Column("ship_line1", Text),
    Column("tax_rate", Numeric(7, 6), nullable=False),
    Column("placed_at", Timestamp, nullable=False),
    Column("requested_at", Timestamp),
    Column("promised_by", Timestamp, nullable=False),
    Column("status", Text, nullable=False),
    Column("payment_status", Text, nullable=False),
    Column("payment_reference", Text),
    Column("authorized_amount", Numeric),
    Column("discrepancies", JSONB, nullable=False),
    Column("entry_discrepancies", JSONB, nullable=False),
    Column("corrections", JSONB, nullable=False),
    Column("cancelled_at", Timestamp),
    Column("cancel_reason", Text),
    Column("last_line_number", Integer, nullable=False),
    Column("completed_lines", JSONB, nullable=False),
    Column("completed_at", Timestamp),
    Column("closed_short", Boolean, nullable=False),
    Column("awaiting_confirmations", JSONB, nullable=False),
    Column("warehouse_copy", JSONB),
    Column("packed_at", Timestamp),
    Column("version", Integer, nullable=False),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Text, ForeignKey("orders.order_id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("line_id", Text, nullable=False),
    Column("sku", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Money, nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", Text, primary_key=True),
    Column("order_id", Text, ForeignKey("orders.order_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("subtotal", Money, nullable=False),
    Column("tax", Money, nullable=False),
    Column("total", Money, nullable=False),
    Column("currency", Text, nullable=False),
    Column("issued_at", Timestamp, nullable=False),
)

returns = Table(
    "returns",
    metadata,
    Column("return_id", Text, primary_key=True),
    Column("order_id", Text, ForeignKey("orders.order_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("reason", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("requested_at", Timestamp, nullable=False),
)

shipments = Table(
    "shipments",
    metadata,
    Column("order_id", Text, ForeignKey("orders.order_id"), primary_key=True),
    Column("shipment_id", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("status_at", Timestamp, nullable=False),
    Column("carrier", Text),
    Column("tracking_number", Text),
    Column("dispatched_lines", JSONB, nullable=False),
    Column("dispatched_at", Timestamp),
    Column("delivered_lines", JSONB, nullable=False),
    Column("delivered_at", Timestamp),
    Column("condition", Text),
)

timeline = Table(
    "timeline",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False, unique=True),
    Column("order_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("occurred_at", Timestamp, nullable=False),
    Column("data", JSONB, nullable=False),
)
