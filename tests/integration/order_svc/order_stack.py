"""Helpers for order-svc's integration tests: seed data, request bodies, other services' events, polling."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaProducer
from orderpulse.events import EVENT_TYPES, full_type, new_envelope, validate_data
from orderpulse.testing.service import auth

CATALOG = {
    "MUG-1": {"name": "Mug", "unit_price": "12.50", "currency": "USD", "max_quantity": 10},
    "TEE-1": {"name": "T-shirt", "unit_price": "20.00", "currency": "USD", "max_quantity": 5},
}
CUSTOMER = {
    "tier": "vip",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0000",
    "locale": "en-GB",
    "timezone": "Europe/London",
    "account_manager": "am_grace",
}
HOME = {"country": "GB", "region": "London", "city": "London", "postal_code": "N1 9GU", "line1": "1 Upper St"}


async def seed(client: httpx.AsyncClient, customer_id: str = "cus_1") -> None:
    for sku, item in CATALOG.items():
        response = await client.put(f"/v1/catalog/{sku}", json=item, headers=auth("admin"))
        assert response.status_code in (200, 201), response.text
    response = await client.put(f"/v1/customers/{customer_id}", json=CUSTOMER, headers=auth("storefront"))
    assert response.status_code in (200, 201), response.text


def order_body(**changes: Any) -> dict[str, Any]:
    body = {
        "customer_id": "cus_1",
        "lines": [
            {"sku": "MUG-1", "quantity": 2, "unit_price": "12.50"},
            {"sku": "TEE-1", "quantity": 1, "unit_price": "20.00"},
        ],
        "ship_to": HOME,
        "channel": "web",
        "service_level": "standard",
    }
    body.update(changes)
    return body


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


async def place(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/orders", json=order_body(**changes), headers={**auth("storefront"), "Idempotency-Key": new_key()}
    )
    assert response.status_code == 201, response.text
    return response.json()


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def event(short_type: str, order_id: str, at: datetime, source: str = "/fulfillment-svc", **data: Any):
    """An envelope another service would publish; its data is checked against the shared catalog."""
    data = {"order_id": order_id, **data}
    validate_data(short_type, data)
    return new_envelope(type=short_type, source=source, key=order_id, data=data, time=at)


def lines_of(order: dict[str, Any], *wanted: tuple[str, int]) -> list[dict[str, Any]]:
    """The order's lines in the event `Line` shape, limited to (sku, quantity) pairs when given."""
    by_sku = {line["sku"]: line for line in order["lines"]}
    if not wanted:
        wanted = tuple((line["sku"], line["quantity"]) for line in order["lines"])
    return [{**by_sku[sku], "quantity": quantity} for sku, quantity in wanted]


def created(order: dict[str, Any], at: datetime):
    return event(
        "fulfillment.created.v1",
        order["order_id"],
        at,
        fulfillment_id=f"ful_{order['order_id']}",
        warehouse_id="wh_1",
        lines=lines_of(order),
    )


def dispatched(order: dict[str, Any], shipment_id: str, at: datetime, *wanted: tuple[str, int]):
    return event(
        "shipment.dispatched.v1",
        order["order_id"],
        at,
        shipment_id=shipment_id,
        warehouse_id="wh_1",
        carrier="ups",
        tracking_number=f"1Z{shipment_id}",
        lines=lines_of(order, *wanted),
        promised_by=order["promised_by"],
        eta=rfc3339(at + timedelta(days=2)),
    )


def delivered(order: dict[str, Any], shipment_id: str, at: datetime, *wanted: tuple[str, int]):
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in lines_of(order, *wanted)]
    return event(
        "shipment.delivered.v1",
        order["order_id"],
        at,
        shipment_id=shipment_id,
        carrier="ups",
        condition="intact",
        lines=lines,
    )


def in_transit(order: dict[str, Any], shipment_id: str, at: datetime):
    return event("shipment.in_transit.v1", order["order_id"], at, shipment_id=shipment_id, carrier="ups")


def notification_sent(order: dict[str, Any], at: datetime, milestone: str = "shipped"):
    return event(
        "notification.sent.v1",
        order["order_id"],
        at,
        source="/notify-svc",
        notification_id=f"ntf_{uuid.uuid4().hex[:8]}",
        customer_id=order["customer_id"],
        milestone=milestone,
        channel="email",
        trigger_event_id=str(uuid.uuid4()),
        trigger_time=rfc3339(at),
        sent_at=rfc3339(at),
    )


def survey_requested(order: dict[str, Any], at: datetime):
    return event(
        "survey.requested.v1",
        order["order_id"],
        at,
        source="/feedback-svc",
        survey_id=f"srv_{uuid.uuid4().hex[:8]}",
        customer_id=order["customer_id"],
        survey_url="http://localhost/surveys/t",
        expires_at=rfc3339(at + timedelta(days=7)),
    )


async def publish(producer: AIOKafkaProducer, *envelopes) -> None:
    """Publish as their producers do: on the type's topic, keyed by the order id, with the ce_ headers."""
    for envelope in envelopes:
        await producer.send_and_wait(
            EVENT_TYPES[full_type(envelope.type)].topic,
            key=envelope.partitionkey.encode(),
            value=envelope.to_json(),
            headers=[("ce_type", envelope.type.encode()), ("ce_id", envelope.id.encode())],
        )


async def order_status(client: httpx.AsyncClient, order_id: str) -> str:
    response = await client.get(f"/v1/orders/{order_id}", headers=auth("support"))
    assert response.status_code == 200, response.text
    return response.json()["status"]


async def timeline_ids(client: httpx.AsyncClient, order_id: str) -> list[str]:
    response = await client.get(f"/v1/orders/{order_id}/timeline", headers=auth("support"))
    assert response.status_code == 200, response.text
    return [entry["event_id"] for entry in response.json()["items"]]


# What the relay and the consumer change on their own, whatever the requests do: the relay marks
# outbox rows published and saves the offsets the broker acknowledged; the consumer records what it applied, and writes other services' events
# into the timeline (earlier tests' events may still be arriving, on a loaded machine).
_BACKGROUND = {
    "outbox": 'SELECT event_id, topic, key, event_type, payload FROM "outbox"',
    "processed_events": None,
    "outbox_offsets": None,
    "timeline": "SELECT * FROM \"timeline\" WHERE source = '/order-svc'",
}


async def snapshot(db: asyncpg.Connection) -> dict[str, list[tuple]]:
    """Every row of every table of order-svc's schema, to prove a request changed nothing. The
    outbox is compared without `published_at` (the relay sets it); the relay's saved offsets, the
    consumer's dedup record and
    the other services' events in the timeline are left out (see `_BACKGROUND`)."""
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
    )
    found = {}
    for row in tables:
        name = row["tablename"]
        query = _BACKGROUND.get(name, f'SELECT * FROM "{name}"')
        if query is None:
            continue
        rows = await db.fetch(query)
        found[name] = sorted((tuple(record.values()) for record in rows), key=repr)
    return found


async def outbox_types(db: asyncpg.Connection, key: str) -> list[str]:
    rows = await db.fetch("SELECT event_type FROM outbox WHERE key = $1 ORDER BY id", key)
    return [row["event_type"].removeprefix("orderpulse.") for row in rows]


def body_of(record) -> dict[str, Any]:
    return orjson.loads(record.value)
