"""notify-svc against the real PostgreSQL and broker, a real SMTP server and a real HTTP receiver.

The schema is migrated once per session and emptied before each test; the app runs in-process
with its relay, consumer and sender loop live. Tests play order-svc, fulfillment-svc and
feedback-svc by publishing their events, and read what notify-svc published with a probe.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notify_receivers import HttpReceiver, SmtpSink
from notify_svc.manifest import MANIFEST
from notify_svc.settings import NotifySettings
from orderpulse.db.migrations import upgrade
from orderpulse.events import CUSTOMERS, FEEDBACK, FULFILLMENT, NOTIFICATIONS, ORDERS, Envelope, new_envelope
from orderpulse.messaging.kafka import create_producer
from orderpulse.testing.database import truncate_schema
from orderpulse.testing.infrastructure import Infrastructure
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.service import service_settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

SCHEMA = "notify_svc"
TOPIC_OF = {"customer": CUSTOMERS, "order": ORDERS, "return": ORDERS, "shipment": FULFILLMENT, "fulfillment": FULFILLMENT}


@pytest.fixture(scope="session")
def notify_schema(infrastructure: Infrastructure, kafka_topics: tuple[str, ...]) -> str:
    upgrade(MANIFEST.migrations, infrastructure.database_url, SCHEMA)
    return SCHEMA


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def sms_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
async def clean_schema(infrastructure: Infrastructure, notify_schema: str) -> str:
    await truncate_schema(infrastructure.database_url, notify_schema)
    return notify_schema


class World:
    """Publishes the other services' events for one test's customer and orders; keeps every envelope."""

    def __init__(self, producer) -> None:
        self.producer = producer
        self.suffix = uuid.uuid4().hex[:8]
        self.published: list[tuple[str, Envelope]] = []

    def id(self, name: str) -> str:
        return f"{name}-{self.suffix}"

    async def publish(self, short_type: str, key: str, data: dict[str, Any], *, at: datetime | None = None) -> Envelope:
        topic = FEEDBACK if short_type.startswith(("survey.", "issue.")) else TOPIC_OF[short_type.split(".")[0]]
        envelope = new_envelope(type=short_type, source="/test", key=key, data=data, time=at)
        await self.send(topic, envelope)
        self.published.append((topic, envelope))
        return envelope

    async def send(self, topic: str, envelope: Envelope) -> None:
        await self.producer.send_and_wait(topic, key=envelope.partitionkey.encode(), value=envelope.to_json())

    async def customer(self, name: str, tier: str, *, account_manager: str | None = None, locale: str = "en") -> str:
        customer_id = self.id(name)
        data = {
            "customer_id": customer_id, "tier": tier, "name": name.title(), "email": f"{customer_id}@example.com",
            "phone": "+4915112345678", "locale": locale, "timezone": "Europe/Berlin", "account_manager": account_manager,
        }
        await self.publish("customer.upserted.v1", customer_id, data)
        return customer_id

    async def place_and_confirm(self, name: str, customer_id: str, tier: str) -> str:
        order_id = self.id(name)
        promised_by = (datetime.now(UTC) + timedelta(days=5)).isoformat()
        lines = [{"line_id": "l1", "sku": "MUG", "quantity": 2, "unit_price": "12.50"}]
        ship_to = {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"}
        await self.publish("order.placed.v1", order_id, {
            "order_id": order_id, "customer_id": customer_id, "customer_tier": tier, "channel": "web", "lines": lines,
            "currency": "EUR", "total": "25.00", "ship_to": ship_to, "service_level": "standard",
            "promised_by": promised_by, "entry_discrepancies": [],
        })
        await self.publish("order.confirmed.v1", order_id, {
            "order_id": order_id, "lines": lines, "ship_to": ship_to, "service_level": "standard", "promised_by": promised_by,
        })
        return order_id

    async def dispatch(self, order_id: str, shipment: str, carrier: str = "dhl") -> str:
        shipment_id = self.id(shipment)
        now = datetime.now(UTC)
        await self.publish("shipment.dispatched.v1", order_id, {
            "shipment_id": shipment_id, "order_id": order_id, "warehouse_id": "wh-1", "carrier": carrier,
            "tracking_number": f"TRK-{shipment_id}", "lines": [{"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": "12.50"}],
            "promised_by": (now + timedelta(days=5)).isoformat(), "eta": (now + timedelta(days=2)).isoformat(),
        })
        return shipment_id

    async def scan(self, order_id: str, shipment_id: str, status: str, **fields: Any) -> None:
        await self.publish(f"shipment.{status}.v1", order_id, {"shipment_id": shipment_id, "order_id": order_id, "carrier": "dhl", **fields})


@pytest.fixture
async def world(infrastructure: Infrastructure, kafka_topics) -> AsyncIterator[World]:
    producer = create_producer(service_settings(NotifySettings, infrastructure), client_id="notify-test-stand-in")
    await producer.start()
    try:
        yield World(producer)
    finally:
        await producer.stop()


@pytest.fixture
async def notifications_topic(infrastructure: Infrastructure, kafka_topics) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(infrastructure.kafka_bootstrap, [NOTIFICATIONS]) as probe:
        yield probe


@pytest.fixture
async def database(infrastructure: Infrastructure):
    """Read and change the service's tables directly (the dedup record, to replay)."""
    engine = create_async_engine(infrastructure.database_url, connect_args={"server_settings": {"search_path": SCHEMA}})

    async def query(sql: str, **params: Any) -> list[Any]:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    try:
        yield query
    finally:
        await engine.dispose()
