"""Helpers of the feedback-svc integration tests: settings, names, an upstream stand-in, polling."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from feedback_svc.settings import FeedbackSettings
from orderpulse.events import new_envelope, topic_for
from orderpulse.testing.infrastructure import Infrastructure
from orderpulse.testing.service import TEST_SIGNING_SECRETS, service_settings
from orderpulse.testing.uvicorn import service_environment as process_environment

SCHEMA = "feedback_svc"
SURVEY_SECRET = "integration-test-survey-secret-0123456789"


def feedback_settings(infrastructure: Infrastructure, **overrides: Any) -> FeedbackSettings:
    values: dict[str, Any] = {
        "signing_secrets": {**TEST_SIGNING_SECRETS, "surveys": SURVEY_SECRET},
        "public_urls": {"feedback-svc": "http://feedback.test"},
        "survey_delay": "1s",
        "due_work_max_sleep_s": 2.0,
    }
    values.update(overrides)
    return service_settings(FeedbackSettings, infrastructure, **values)


def service_environment(infrastructure, **settings: str) -> dict[str, str]:
    """feedback-svc's settings as the stack passes them: ORDERPULSE_* variables."""
    return process_environment(infrastructure, signing_secrets={**TEST_SIGNING_SECRETS, "surveys": SURVEY_SECRET}, **settings)


class Names:
    def __init__(self) -> None:
        self.suffix = uuid.uuid4().hex[:8]

    def order(self, name: str) -> str:
        return f"ord-{self.suffix}-{name}"

    def customer(self, name: str) -> str:
        return f"cus-{self.suffix}-{name}"


class Upstream:
    """Publishes what order-svc and fulfillment-svc would, on the real topics."""

    def __init__(self, producer: Any, names: Names) -> None:
        self.producer = producer
        self.names = names

    async def publish(self, type: str, key: str, data: dict[str, Any], *, at: datetime | None = None, event_id: str | None = None) -> str:
        source = "/fulfillment-svc" if type.startswith(("fulfillment", "shipment")) else "/order-svc"
        envelope = new_envelope(type=type, source=source, key=key, data=data, time=at, event_id=event_id)
        await self.producer.send_and_wait(topic_for(type), key=key.encode(), value=envelope.to_json())
        return envelope.id

    async def customer(self, name: str, *, locale: str = "en-GB") -> str:
        customer_id = self.names.customer(name)
        await self.publish(
            "customer.upserted.v1",
            customer_id,
            {"customer_id": customer_id, "tier": "standard", "name": "Ada", "email": "ada@example.com",
             "phone": "+4930123", "locale": locale, "timezone": "Europe/Berlin"},
        )
        return customer_id

    async def place(self, name: str, customer_id: str, *, at: datetime | None = None) -> str:
        order_id = self.names.order(name)
        placed = at or datetime.now(UTC) - timedelta(days=2)
        await self.publish(
            "order.placed.v1",
            order_id,
            {
                "order_id": order_id, "customer_id": customer_id, "customer_tier": "standard", "channel": "web",
                "lines": [{"line_id": "l1", "sku": "MUG", "quantity": 2, "unit_price": "12.50"}],
                "currency": "EUR", "total": "25.00",
                "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
                "service_level": "standard", "promised_by": (placed + timedelta(days=5)).isoformat(),
                "entry_discrepancies": [],
            },
            at=placed,
        )
        return order_id

    async def complete(self, order_id: str, *, delivered_at: datetime | None = None, delivered: int = 2, event_id: str | None = None) -> str:
        delivered_at = delivered_at or datetime.now(UTC)
        return await self.publish(
            "fulfillment.completed.v1",
            order_id,
            {
                "order_id": order_id, "shipments": 1,
                "delivered_at": delivered_at.isoformat() if delivered else None,
                "lines_requested": [{"sku": "MUG", "quantity": 2}],
                "lines_delivered": [{"sku": "MUG", "quantity": delivered}] if delivered else [],
                "closed_short": delivered < 2,
            },
            at=delivered_at,
            event_id=event_id,
        )
