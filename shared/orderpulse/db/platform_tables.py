"""Tables every service owns in its own schema: the outbox, the dedup record, idempotency keys.

Services call `create_platform_tables()` from their first Alembic migration, so the shape lives
in one place.
"""

from __future__ import annotations

from alembic import op

PLATFORM_DDL = (
    """
    CREATE TABLE outbox (
        id BIGSERIAL PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        key TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload BYTEA NOT NULL,
        traceparent TEXT,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        published_at TIMESTAMPTZ
    )
    """,
    "CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
    "CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL",
    """
    CREATE TABLE processed_events (
        event_id TEXT PRIMARY KEY,
        topic TEXT NOT NULL,
        processed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    )
    """,
    "CREATE INDEX processed_events_processed_at ON processed_events (processed_at)",
    """
    CREATE TABLE idempotency_keys (
        principal TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status_code INTEGER,
        response_body BYTEA,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (principal, key)
    )
    """,
    "CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)",
)


def create_platform_tables() -> None:
    """Run inside an Alembic migration of the service's schema."""
    for statement in PLATFORM_DDL:
        op.execute(statement)


def drop_platform_tables() -> None:
    for table in ("idempotency_keys", "processed_events", "outbox"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
