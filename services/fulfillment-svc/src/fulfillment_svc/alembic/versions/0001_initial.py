"""fulfillment-svc: platform tables, stock, fulfillments, shipments, backorders, carrier scans, labor, returns.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from alembic import op
from orderpulse.db.platform_tables import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    """
    CREATE TABLE stock (
        warehouse_id TEXT NOT NULL,
        sku TEXT NOT NULL,
        on_hand INTEGER NOT NULL DEFAULT 0,
        reserved INTEGER NOT NULL DEFAULT 0,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (warehouse_id, sku),
        CONSTRAINT stock_reserved_within_on_hand CHECK (reserved >= 0 AND reserved <= on_hand)
    )
    """,
    """
    CREATE TABLE fulfillments (
        fulfillment_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL UNIQUE,
        warehouse_id TEXT NOT NULL,
        status TEXT NOT NULL,
        ship_deadline TIMESTAMPTZ NOT NULL,
        promised_by TIMESTAMPTZ NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        state JSONB NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    )
    """,
    "CREATE INDEX fulfillments_queue_by_warehouse ON fulfillments (warehouse_id, status, ship_deadline, fulfillment_id)",
    "CREATE INDEX fulfillments_queue ON fulfillments (status, ship_deadline, fulfillment_id)",
    """
    CREATE TABLE shipments (
        shipment_id TEXT PRIMARY KEY,
        fulfillment_id TEXT NOT NULL REFERENCES fulfillments (fulfillment_id),
        order_id TEXT NOT NULL,
        status TEXT NOT NULL,
        carrier TEXT,
        tracking_number TEXT,
        state JSONB NOT NULL,
        CONSTRAINT shipments_tracking_number_unique UNIQUE (carrier, tracking_number)
    )
    """,
    "CREATE INDEX shipments_by_fulfillment ON shipments (fulfillment_id)",
    """
    CREATE TABLE backorders (
        fulfillment_id TEXT NOT NULL REFERENCES fulfillments (fulfillment_id),
        sku TEXT NOT NULL,
        warehouse_id TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        since TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (fulfillment_id, sku)
    )
    """,
    "CREATE INDEX backorders_oldest_first ON backorders (warehouse_id, sku, since, fulfillment_id)",
    """
    CREATE TABLE carrier_scans (
        carrier TEXT NOT NULL,
        event_id TEXT NOT NULL,
        tracking_number TEXT NOT NULL,
        shipment_id TEXT NOT NULL,
        status TEXT NOT NULL,
        occurred_at TIMESTAMPTZ NOT NULL,
        applied BOOLEAN NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (carrier, event_id)
    )
    """,
    """
    CREATE TABLE labor_shifts (
        warehouse_id TEXT NOT NULL,
        shift_id TEXT NOT NULL,
        start_at TIMESTAMPTZ NOT NULL,
        end_at TIMESTAMPTZ NOT NULL,
        staff INTEGER NOT NULL,
        hourly_cost NUMERIC NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (warehouse_id, shift_id)
    )
    """,
    """
    CREATE TABLE received_returns (
        return_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        fulfillment_id TEXT NOT NULL REFERENCES fulfillments (fulfillment_id),
        condition TEXT NOT NULL,
        lines JSONB NOT NULL,
        restocked JSONB NOT NULL,
        occurred_at TIMESTAMPTZ NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    )
    """,
    """
    CREATE TABLE cancelled_orders (
        order_id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        cancelled_at TIMESTAMPTZ NOT NULL
    )
    """,
)


def upgrade() -> None:
    create_platform_tables()
    for statement in TABLES:
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "cancelled_orders",
        "received_returns",
        "labor_shifts",
        "carrier_scans",
        "backorders",
        "shipments",
        "fulfillments",
        "stock",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    drop_platform_tables()
