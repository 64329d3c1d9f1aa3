"""fulfillment-svc against the real PostgreSQL and broker: the schema is migrated once per session
and emptied before each test; the app runs in-process with its relay and consumer live.

Every test gets its own names (`names.sku("MUG")`, `names.order("a")`, its own default
warehouse), so records a previous test left on the orders topic cannot touch its state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fulfillment_svc.bootstrap import build_app
from fulfillment_svc.manifest import MANIFEST
from fulfillment_svc.settings import FulfillmentSettings
from orderpulse.db.migrations import upgrade
from orderpulse.events import ORDERS, new_envelope
from orderpulse.messaging.kafka import create_producer
from orderpulse.testing.database import truncate_schema
from orderpulse.testing.infrastructure import Infrastructure
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app, service_settings, signed
from sqlalchemy import text

SCHEMA = "fulfillment_svc"


@pytest.fixture(scope="session")
def fulfillment_schema(infrastructure: Infrastructure, kafka_topics: tuple[str, ...]) -> str:
    upgrade(MANIFEST.migrations, infrastructure.database_url, SCHEMA)
    return SCHEMA


class Names:
    """Names unique to one test."""

    def __init__(self) -> None:
        self.suffix = uuid.uuid4().hex[:8]
        self.warehouse = self.wh("main")

    def sku(self, name: str) -> str:
        return f"{name}-{self.suffix}"

    def order(self, name: str) -> str:
        return f"ord-{self.suffix}-{name}"

    def wh(self, name: str) -> str:
        return f"wh-{name}-{self.suffix}"

    def tracking(self, name: str) -> str:
        return f"TRK-{self.suffix}-{name}"


@pytest.fixture
def names() -> Names:
    return Names()


@pytest.fixture
async def settings(infrastructure: Infrastructure, fulfillment_schema: str, names: Names) -> FulfillmentSettings:
    await truncate_schema(infrastructure.database_url, fulfillment_schema)
    return service_settings(FulfillmentSettings, infrastructure, default_warehouse_id=names.warehouse)


class Warehouse:
    """Drives fulfillment-svc like its callers: order-svc (events), warehouses and carriers (HTTP)."""

    PRICES = {"MUG": Decimal("12.50"), "TEE": Decimal("20.00"), "CAP": Decimal("15.00")}

    def __init__(self, client: httpx.AsyncClient, settings: FulfillmentSettings, names: Names, producer) -> None:
        self.client = client
        self.settings = settings
        self.names = names
        self.producer = producer

    # --- order-svc's side -----------------------------------------------------------------

    def order_lines(self, order: str, **quantities: int) -> list[dict[str, Any]]:
        return [
            {
                "line_id": f"{order}-l{n}",
                "sku": self.names.sku(name),
                "quantity": quantity,
                "unit_price": str(self.PRICES[name]),
            }
            for n, (name, quantity) in enumerate(quantities.items(), start=1)
        ]

    async def confirm(
        self,
        name: str,
        *,
        at: datetime | None = None,
        placed_at: datetime | None = None,
        city: str = "Berlin",
        **quantities: int,
    ) -> str:
        order_id = self.names.order(name)
        data = {
            "order_id": order_id,
            "lines": self.order_lines(order_id, **quantities),
            "ship_to": {"country": "DE", "region": "BE", "city": city, "postal_code": "10115"},
            "service_level": "standard",
            "promised_by": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
        }
        if placed_at is not None:
            data["placed_at"] = placed_at.isoformat()
        await self.publish("order.confirmed.v1", order_id, data, at=at)
        return order_id

    async def cancel(self, name: str) -> str:
        order_id = self.names.order(name)
        await self.publish("order.cancelled.v1", order_id, {"order_id": order_id, "reason": "customer", "cancelled_by": "support"})
        return order_id

    async def publish(self, type: str, order_id: str, data: dict[str, Any], *, at: datetime | None = None) -> None:
        envelope = new_envelope(type=type, source="/order-svc", key=order_id, data=data, time=at)
        await self.producer.send_and_wait(ORDERS, key=order_id.encode(), value=envelope.to_json())

    # --- the warehouse's side -------------------------------------------------------------

    async def fulfillment_of(self, order_id: str) -> dict[str, Any] | None:
        response = await self.client.get("/v1/fulfillments", params={"order_id": order_id}, headers=auth("warehouse"))
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return items[0] if items else None

    async def wait_for_fulfillment(self, order_id: str, *, until: Callable[[dict], bool] = lambda f: True) -> dict:
        async def ready() -> dict | None:
            found = await self.fulfillment_of(order_id)
            return found if found is not None and until(found) else None

        return await eventually(ready)

    async def put_stock(self, sku_name: str, on_hand: int, *, warehouse: str | None = None) -> httpx.Response:
        return await self.client.put(
            f"/v1/warehouses/{warehouse or self.names.warehouse}/stock/{self.names.sku(sku_name)}",
            json={"on_hand": on_hand},
            headers=auth("warehouse"),
        )

    async def stock(self, sku_name: str, *, warehouse: str | None = None) -> dict[str, Any]:
        response = await self.client.get(
            f"/v1/warehouses/{warehouse or self.names.warehouse}/stock", params={"limit": 200}, headers=auth("warehouse")
        )
        assert response.status_code == 200, response.text
        by_sku = {item["sku"]: item for item in response.json()["items"]}
        return by_sku.get(self.names.sku(sku_name), {"on_hand": 0, "reserved": 0, "available": 0})

    def sku_lines(self, **quantities: int) -> list[dict[str, Any]]:
        return [{"sku": self.names.sku(name), "quantity": quantity} for name, quantity in quantities.items()]

    def documents(self, **quantities: int) -> list[dict[str, Any]]:
        total = sum((self.PRICES[name] * quantity for name, quantity in quantities.items()), Decimal("0"))
        return [
            {"kind": "invoice", "ref": "INV-1", "lines": self.sku_lines(**quantities), "total": str(total)},
            {"kind": "packing_slip", "ref": "PS-1", "lines": self.sku_lines(**quantities)},
        ]

    async def pack(self, fulfillment_id: str, *, documents: list | None = None, **quantities: int) -> httpx.Response:
        body = {
            "lines": self.sku_lines(**quantities),
            "documents": self.documents(**quantities) if documents is None else documents,
            "occurred_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        }
        return await self.client.post(f"/v1/fulfillments/{fulfillment_id}/pack", json=body, headers=auth("warehouse"))

    async def dispatch(
        self, fulfillment_id: str, shipment_id: str, tracking: str, *, carrier: str = "dhl", **extra: Any
    ) -> httpx.Response:
        body = {
            "shipment_id": shipment_id,
            "carrier": carrier,
            "tracking_number": self.names.tracking(tracking),
            "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            **extra,
        }
        return await self.client.post(f"/v1/fulfillments/{fulfillment_id}/dispatch", json=body, headers=auth("warehouse"))

    async def ship(self, fulfillment_id: str, tracking: str, *, carrier: str = "dhl", **quantities: int) -> str:
        """Pack with clean documents and dispatch; returns the shipment id."""
        packed = await self.pack(fulfillment_id, **quantities)
        assert packed.status_code == 201, packed.text
        shipment_id = packed.json()["shipment_id"]
        sent = await self.dispatch(fulfillment_id, shipment_id, tracking, carrier=carrier)
        assert sent.status_code == 200, sent.text
        return shipment_id

    # --- the carrier's side ---------------------------------------------------------------

    def scan(self, event_id: str, tracking: str, status: str, *, minutes: float = 0, **fields: Any) -> dict[str, Any]:
        """A scan `minutes` after a moment an hour after the dispatches of `ship`."""
        moment = datetime.now(UTC) - timedelta(minutes=60) + timedelta(minutes=minutes)
        return {
            "event_id": f"{self.names.suffix}-{event_id}",
            "tracking_number": self.names.tracking(tracking),
            "status": status,
            "occurred_at": moment.isoformat(),
            **fields,
        }

    async def report(self, events: list[dict[str, Any]], *, carrier: str = "dhl", role: str | None = None) -> httpx.Response:
        raw, headers = signed(role or f"carrier:{carrier}", {"events": events})
        return await self.client.post(f"/v1/carriers/{carrier}/events", content=raw, headers=headers)


@pytest.fixture
async def producer(infrastructure: Infrastructure, settings: FulfillmentSettings) -> AsyncIterator[Any]:
    kafka = create_producer(settings, client_id="order-svc-stand-in")
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


@pytest.fixture
async def warehouse(settings: FulfillmentSettings, names: Names, producer) -> AsyncIterator[Warehouse]:
    """The service running (relay and consumer live), and a driver for it."""
    async with running_app(build_app(settings)) as client:
        yield Warehouse(client, settings, names, producer)


@pytest.fixture
async def idle_app(infrastructure: Infrastructure, settings: FulfillmentSettings) -> AsyncIterator[Any]:
    """The app without its lifespan (no relay, no consumer): only the database answers. Roomy pool."""
    roomy = service_settings(
        FulfillmentSettings, infrastructure, default_warehouse_id=settings.default_warehouse_id, database_pool_size=20
    )
    app = build_app(roomy)
    try:
        yield app
    finally:
        await app.state.platform.stop()


@pytest.fixture
async def database(settings: FulfillmentSettings):
    """Read the service's tables directly, for what the API does not show (outbox, dedup)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(settings.database_url, connect_args={"server_settings": {"search_path": SCHEMA}})

    async def query(sql: str, **params: Any) -> list[Any]:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    try:
        yield query
    finally:
        await engine.dispose()
