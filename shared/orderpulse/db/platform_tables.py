"""Tables every service owns in its own schema: the outbox, the dedup record, idempotency keys.

Services call `create_platform_tables()` from their first Alembic migration, so the shape lives
in one place; a table added since has its own function, which a later migration of each service
calls (idempotent, since a database created after the addition has it from the first).
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

# The base offset of the last batch the broker acknowledged, per partition, as the outbox relay
# saw it: a relay that takes over compares the broker with these, so a broker that lost its
# predecessor's records (the embedded one restarted) is noticed (messaging/broker_reset.py).
OUTBOX_OFFSETS_DDL = (
    """
    CREATE TABLE IF NOT EXISTS outbox_offsets (
        topic TEXT NOT NULL,
        partition INTEGER NOT NULL,
        base_offset BIGINT NOT NULL,
        PRIMARY KEY (topic, partition)
    )
    """,
)
PLATFORM_DDL = PLATFORM_DDL + OUTBOX_OFFSETS_DDL


def create_platform_tables() -> None:
    """Run inside an Alembic migration of the service's schema."""
    for statement in PLATFORM_DDL:
        op.execute(statement)


def create_outbox_offsets() -> None:
    """Run inside a later Alembic migration of a service created before `outbox_offsets` existed."""
    for statement in OUTBOX_OFFSETS_DDL:
        op.execute(statement)


def drop_outbox_offsets() -> None:
    op.execute("DROP TABLE IF EXISTS outbox_offsets")


def drop_platform_tables() -> None:
    for table in ("outbox_offsets", "idempotency_keys", "processed_events", "outbox"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
