"""The drills' helpers: order-svc and fulfillment-svc in-process on the drill stack, a storefront
placing orders while a fault is injected, and the checks that nothing was lost."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import asyncpg
import httpx
from fulfillment_svc.bootstrap import build_app as build_fulfillment
from fulfillment_svc.settings import FulfillmentSettings
from order_svc.bootstrap import build_app as build_orders
from order_svc.settings import OrderSettings
from orderpulse.stack.broker import EmbeddedBroker
from orderpulse.stack.postgres import EmbeddedPostgres
from orderpulse.testing.database import plain_dsn
from orderpulse.testing.infrastructure import BackendChoice, Infrastructure
from orderpulse.testing.service import auth, running_app, service_settings

CUSTOMER = {"tier": "standard", "name": "Drill Customer", "email": "drill@example.com", "phone": "+44 20 7946 0001",
            "locale": "en-GB", "timezone": "Europe/London"}
SHIP_TO = {"country": "GB", "region": "London", "city": "London", "postal_code": "N1 9GU", "line1": "1 Upper St"}

PARTITIONS = 6  # of the drills' topics; not Tansu's own 4: a topic the broker made by itself after a restart would show


# Servers are started again from this one long-lived thread: a child spawned from a short-lived
# worker thread would get its parent-death signal when that thread ends (PR_SET_PDEATHSIG).
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drill-spawner")


@dataclass
class DrillStack:
    postgres: EmbeddedPostgres
    broker: EmbeddedBroker
    topics: list[str]

    @property
    def infrastructure(self) -> Infrastructure:
        return Infrastructure(self.postgres.url(), self.broker.bootstrap, False, BackendChoice("embedded", "embedded"))

    async def stop_postgres(self) -> None:
        await asyncio.get_running_loop().run_in_executor(_SPAWNER, self.postgres.stop)

    async def start_postgres(self) -> None:
        await asyncio.get_running_loop().run_in_executor(_SPAWNER, self.postgres.start)

    async def stop_broker(self) -> None:
        await asyncio.get_running_loop().run_in_executor(_SPAWNER, self.broker.stop)

    async def start_broker(self) -> None:
        await asyncio.get_running_loop().run_in_executor(_SPAWNER, self.broker.start)


@contextlib.asynccontextmanager
async def order_and_fulfillment(stack: DrillStack, **overrides) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    infra = stack.infrastructure
    orders = build_orders(service_settings(OrderSettings, infra, **overrides))
    fulfillment = build_fulfillment(service_settings(FulfillmentSettings, infra, **overrides))
    async with running_app(orders) as order_client, running_app(fulfillment) as fulfillment_client:
        for sku in ("MUG-1", "TEE-1"):
            answer = await order_client.put(f"/v1/catalog/{sku}", headers=auth("admin"), json={
                "name": sku, "unit_price": "10.00", "currency": "USD", "max_quantity": 10})
            assert answer.status_code in (200, 201), answer.text
        answer = await order_client.put("/v1/customers/cus_drill", json=CUSTOMER, headers=auth("storefront"))
        assert answer.status_code in (200, 201), answer.text
        yield order_client, fulfillment_client


@dataclass
class Storefront:
    """Places orders until stopped, each retried with its Idempotency-Key until accepted, as a storefront would."""

    client: httpx.AsyncClient
    concurrency: int = 4
    accepted: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    refusals: list[httpx.Response] = field(default_factory=list)
    slowest_s: float = 0.0
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def place_one(self) -> None:
        key = f"drill-{uuid.uuid4()}"
        body = {"customer_id": "cus_drill", "channel": "web", "service_level": "standard", "ship_to": SHIP_TO,
                "lines": [{"sku": "MUG-1", "quantity": 1, "unit_price": "10.00"}]}
        while True:
            started = time.monotonic()
            try:
                answer = await self.client.post("/v1/orders", json=body,
                                                headers={**auth("storefront"), "Idempotency-Key": key})
            except Exception as error:  # an in-process app never drops a connection: that would be a bug
                self.statuses[type(error).__name__] += 1
                raise
            self.slowest_s = max(self.slowest_s, time.monotonic() - started)
            self.statuses[answer.status_code] += 1
            if answer.status_code == 201:
                self.accepted.append(answer.json()["order_id"])
                return
            self.refusals.append(answer)
            await asyncio.sleep(min(float(answer.headers.get("Retry-After", "1")), 0.5))

    async def _worker(self) -> None:
        while not self._stopping.is_set():
            await self.place_one()
            await asyncio.sleep(0.02)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Storefront]:
        workers = [asyncio.create_task(self._worker()) for _ in range(self.concurrency)]
        try:
            yield self
        finally:
            self._stopping.set()
            await asyncio.wait_for(asyncio.gather(*workers), 120)

    async def until_accepted(self, count: int, timeout_s: float = 60) -> None:
        await eventually(lambda: len(self.accepted) >= count, timeout_s, f"{count} orders accepted")


async def eventually(condition, timeout_s: float, what: str, explain=None) -> None:
    """Wait until `condition()` holds; on timeout the failure says what was awaited and, given
    `explain` (an async callable returning text), the state that kept it from holding."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() >= deadline:
            detail = f"; {await explain()}" if explain is not None else ""
            raise AssertionError(f"not within {timeout_s} s: {what}{detail}")
        await asyncio.sleep(0.2)


async def unapplied_order_events(stack: DrillStack) -> tuple[int, int, int]:
    """(order-svc outbox rows not yet published, order events fulfillment-svc has not recorded, total events)."""
    conn = await asyncpg.connect(plain_dsn(stack.postgres.url()))
    try:
        unpublished = await conn.fetchval("SELECT count(*) FROM order_svc.outbox WHERE published_at IS NULL")
        missing = await conn.fetchval(
            "SELECT count(*) FROM order_svc.outbox o WHERE o.topic = 'orderpulse.orders' AND NOT EXISTS "
            "(SELECT 1 FROM fulfillment_svc.processed_events p WHERE p.event_id = o.event_id)")
        total = await conn.fetchval("SELECT count(*) FROM order_svc.outbox WHERE topic = 'orderpulse.orders'")
        return unpublished, missing, total
    finally:
        await conn.close()


async def stored_orders(stack: DrillStack, order_ids: list[str]) -> set[str]:
    conn = await asyncpg.connect(plain_dsn(stack.postgres.url()))
    try:
        rows = await conn.fetch("SELECT order_id FROM order_svc.orders WHERE order_id = ANY($1::text[])", order_ids)
        return {row["order_id"] for row in rows}
    finally:
        await conn.close()
