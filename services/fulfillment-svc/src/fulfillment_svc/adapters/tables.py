"""The service's tables as SQLAlchemy Core objects (no schema prefix: `search_path` is the service's schema).

The shape is created by `alembic/versions/`; these objects only let the repositories write
statements without SQL strings.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, Numeric, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

stock = Table(
    "stock",
    metadata,
    Column("warehouse_id", Text, primary_key=True),
    Column("sku", Text, primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

fulfillments = Table(
    "fulfillments",
    metadata,
    Column("fulfillment_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False, unique=True),
    Column("warehouse_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("ship_deadline", DateTime(timezone=True), nullable=False),
    Column("promised_by", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("state", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

shipments = Table(
    "shipments",
    metadata,
    Column("shipment_id", Text, primary_key=True),
    Column("fulfillment_id", Text, nullable=False),
    Column("order_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("carrier", Text),
    Column("tracking_number", Text),
    Column("state", JSONB, nullable=False),
)

backorders = Table(
    "backorders",
    metadata,
    Column("fulfillment_id", Text, primary_key=True),
    Column("sku", Text, primary_key=True),
    Column("warehouse_id", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
)

carrier_scans = Table(
    "carrier_scans",
    metadata,
    Column("carrier", Text, primary_key=True),
    Column("event_id", Text, primary_key=True),
    Column("tracking_number", Text, nullable=False),
    Column("shipment_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("applied", Boolean, nullable=False),
)

labor_shifts = Table(
    "labor_shifts",
    metadata,
    Column("warehouse_id", Text, primary_key=True),
    Column("shift_id", Text, primary_key=True),
    Column("start_at", DateTime(timezone=True), nullable=False),
    Column("end_at", DateTime(timezone=True), nullable=False),
    Column("staff", Integer, nullable=False),
    Column("hourly_cost", Numeric, nullable=False),
)

received_returns = Table(
    "received_returns",
    metadata,
    Column("return_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("fulfillment_id", Text, nullable=False),
    Column("condition", Text, nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("restocked", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)

requested_returns = Table(
    "requested_returns",
    metadata,
    Column("return_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("reason", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
)

cancelled_orders = Table(
    "cancelled_orders",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("cancelled_at", DateTime(timezone=True), nullable=False),
)
