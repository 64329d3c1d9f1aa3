"""The outbox relay's acknowledged offsets per partition (`orderpulse.db.platform_tables`), so a
relay that takes over notices a broker that lost what its predecessor published.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from orderpulse.db.platform_tables import create_outbox_offsets, drop_outbox_offsets

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_offsets()


def downgrade() -> None:
    drop_outbox_offsets()
