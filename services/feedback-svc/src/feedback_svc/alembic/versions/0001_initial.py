"""feedback-svc: platform tables, known orders and customer locales, surveys, issues with their clocks.

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
    CREATE TABLE known_orders (
        order_id TEXT PRIMARY KEY,
        customer_id TEXT,
        placed_at TIMESTAMPTZ,
        cancelled_at TIMESTAMPTZ
    )
    """,
    """
    CREATE TABLE customer_locales (
        customer_id TEXT PRIMARY KEY,
        locale TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE surveys (
        survey_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('scheduled', 'requested', 'answered', 'withdrawn')),
        delivered_at TIMESTAMPTZ NOT NULL,
        due_at TIMESTAMPTZ NOT NULL,
        customer_id TEXT,
        survey_url TEXT,
        requested_at TIMESTAMPTZ,
        expires_at TIMESTAMPTZ,
        answered_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT surveys_one_per_order UNIQUE (order_id)
    )
    """,
    "CREATE INDEX surveys_scheduled_by_due ON surveys (due_at) WHERE status = 'scheduled'",
    """
    CREATE TABLE issues (
        issue_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        category TEXT NOT NULL,
        description TEXT NOT NULL,
        channel TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
        opened_at TIMESTAMPTZ NOT NULL,
        ack_due TIMESTAMPTZ NOT NULL,
        ack_state TEXT NOT NULL CHECK (ack_state IN ('running', 'met', 'breached')),
        acknowledged_at TIMESTAMPTZ,
        acknowledged_by TEXT,
        resolve_due TIMESTAMPTZ NOT NULL,
        resolve_state TEXT NOT NULL CHECK (resolve_state IN ('running', 'met', 'breached')),
        resolved_at TIMESTAMPTZ,
        resolved_by TEXT,
        resolution TEXT,
        urgency_rank SMALLINT NOT NULL,
        urgency_due TIMESTAMPTZ NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    )
    """,
    "CREATE INDEX issues_ack_clock_running ON issues (ack_due) WHERE ack_state = 'running'",
    "CREATE INDEX issues_resolve_clock_running ON issues (resolve_due) WHERE resolve_state = 'running'",
    "CREATE INDEX issues_queue ON issues (urgency_rank, urgency_due, issue_id)",
    "CREATE INDEX issues_by_order ON issues (order_id)",
    "CREATE INDEX issues_unresolved ON issues (status) WHERE status <> 'resolved'",
)


def upgrade() -> None:
    create_platform_tables()
    for statement in TABLES:
        op.execute(statement)


def downgrade() -> None:
    for table in ("issues", "surveys", "customer_locales", "known_orders"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    drop_platform_tables()
