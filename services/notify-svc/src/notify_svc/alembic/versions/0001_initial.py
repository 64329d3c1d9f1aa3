"""notify-svc: platform tables, what it learned of customers and orders, notifications, courtesy calls.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from alembic import op
from orderpulse.db.platform_tables import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    """
    CREATE TABLE customers (
        customer_id TEXT PRIMARY KEY,
        tier TEXT,
        name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        locale TEXT NOT NULL DEFAULT 'en',
        timezone TEXT NOT NULL DEFAULT 'UTC',
        account_manager TEXT,
        preferences JSONB NOT NULL DEFAULT '{}'::jsonb,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    )
    """,
    """
    CREATE TABLE orders (
        order_id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        tier TEXT NOT NULL,
        promised_by TIMESTAMPTZ
    )
    """,
    """
    CREATE TABLE shipments (
        shipment_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        carrier TEXT NOT NULL,
        tracking_number TEXT NOT NULL,
        promised_by TIMESTAMPTZ,
        eta TIMESTAMPTZ
    )
    """,
    """
    CREATE TABLE milestones (
        event_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        milestone TEXT NOT NULL,
        event_time TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (event_id, milestone)
    )
    """,
    "CREATE INDEX milestones_by_order ON milestones (order_id)",
    """
    CREATE TABLE parked_events (
        event_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        event_time TIMESTAMPTZ NOT NULL,
        data JSONB NOT NULL,
        parked_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    )
    """,
    "CREATE INDEX parked_events_by_order ON parked_events (order_id, event_time)",
    """
    CREATE TABLE notifications (
        notification_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        milestone TEXT NOT NULL,
        channel TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        reason TEXT,
        merged_into TEXT REFERENCES notifications (notification_id),
        shipment_ids JSONB NOT NULL DEFAULT '[]'::jsonb,
        details JSONB NOT NULL DEFAULT '{}'::jsonb,
        trigger_event_id TEXT NOT NULL,
        trigger_time TIMESTAMPTZ NOT NULL,
        due_at TIMESTAMPTZ,
        attempts INTEGER NOT NULL DEFAULT 0,
        deferred BOOLEAN NOT NULL DEFAULT false,
        last_error TEXT,
        sent_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT notifications_once_per_key UNIQUE (order_id, milestone, channel, subject),
        CONSTRAINT notifications_status_known CHECK (status IN ('pending', 'sent', 'failed', 'suppressed', 'merged'))
    )
    """,
    "CREATE INDEX notifications_due ON notifications (due_at) WHERE status = 'pending'",
    """
    CREATE TABLE courtesy_calls (
        call_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        milestone TEXT NOT NULL,
        account_manager TEXT NOT NULL,
        due_by TIMESTAMPTZ NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        outcome TEXT,
        note TEXT,
        completed_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT courtesy_calls_once_per_milestone UNIQUE (order_id, milestone)
    )
    """,
    "CREATE INDEX courtesy_calls_list ON courtesy_calls (status, due_by, call_id)",
    "CREATE INDEX courtesy_calls_by_order ON courtesy_calls (order_id)",
)


def upgrade() -> None:
    create_platform_tables()
    for statement in TABLES:
        op.execute(statement)


def downgrade() -> None:
    for table in ("courtesy_calls", "notifications", "parked_events", "milestones", "shipments", "orders", "customers"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    drop_platform_tables()
