"""The service's tables as SQLAlchemy Core objects (no schema prefix: `search_path` is the service's schema).

The shape is created by `alembic/versions/`; these objects only let the repositories write
statements without SQL strings.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, SmallInteger, Table, Text

metadata = MetaData()


def _time(name: str, **kwargs) -> Column:
    return Column(name, DateTime(timezone=True), **kwargs)


known_orders = Table(
    "known_orders",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("customer_id", Text),
    _time("placed_at"),
    _time("cancelled_at"),
)

customer_locales = Table(
    "customer_locales",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("locale", Text, nullable=False),
    _time("updated_at", nullable=False),
)

surveys = Table(
    "surveys",
    metadata,
    Column("survey_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False, unique=True),
    Column("status", Text, nullable=False),
    _time("delivered_at", nullable=False),
    _time("due_at", nullable=False),
    Column("customer_id", Text),
    Column("survey_url", Text),
    _time("requested_at"),
    _time("expires_at"),
    _time("answered_at"),
)

issues = Table(
    "issues",
    metadata,
    Column("issue_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("status", Text, nullable=False),
    _time("opened_at", nullable=False),
    _time("ack_due", nullable=False),
    Column("ack_state", Text, nullable=False),
    _time("acknowledged_at"),
    Column("acknowledged_by", Text),
    _time("resolve_due", nullable=False),
    Column("resolve_state", Text, nullable=False),
    _time("resolved_at"),
    Column("resolved_by", Text),
    Column("resolution", Text),
    Column("urgency_rank", SmallInteger, nullable=False),
    _time("urgency_due", nullable=False),
)
