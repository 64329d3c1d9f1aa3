"""Returns order-svc requested (`return.requested`): a receipt learns its order from them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE requested_returns (
            return_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            lines JSONB NOT NULL,
            reason TEXT NOT NULL,
            kind TEXT NOT NULL,
            requested_at TIMESTAMPTZ NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS requested_returns")
