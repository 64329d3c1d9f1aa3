"""An in-memory unit of work for order-svc's service-layer tests: changes become visible only on commit."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from order_svc.domain.model import CatalogItem, Customer, Order
from order_svc.service_layer.ports import IdempotentRequest, OrderSummary, Placement, Reference, Reply, TimelineEntry
from orderpulse.db.idempotency import IdempotencyKeyReused
from orderpulse.events.envelope import Envelope, new_envelope


@dataclass
class FakeStore:
    customers: dict[str, Customer] = field(default_factory=dict)
    catalog: dict[str, CatalogItem] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    timeline: dict[str, TimelineEntry] = field(default_factory=dict)
    keys: dict[tuple[str, str], tuple[str, Reply | None]] = field(default_factory=dict)
    outbox: list[Envelope] = field(default_factory=list)
    commits: int = 0


class _Table:
    def __init__(self, committed: dict, staged: dict) -> None:
        self._committed, self._staged = committed, staged

    def read(self, key):
        found = self._staged.get(key, self._committed.get(key))
        return copy.deepcopy(found)


class FakeCustomers(_Table):
    async def get(self, customer_id):
        return self.read(customer_id)

    async def save(self, customer):
        self._staged[customer.customer_id] = copy.deepcopy(customer)


class FakeCatalog(_Table):
    async def get(self, sku):
        return self.read(sku)

    async def items(self, skus):
        return {sku: item for sku in skus if (item := self.read(sku)) is not None}

    async def save(self, item):
        self._staged[item.sku] = item


class FakeOrders(_Table):
    async def get(self, order_id, *, for_update=False):
        return self.read(order_id)

    async def get_many(self, order_ids, *, for_update=False):
        return {order_id: order for order_id in set(order_ids) if (order := self.read(order_id)) is not None}

    async def exists(self, order_id):
        return self.read(order_id) is not None

    async def add(self, order):
        self._staged[order.order_id] = copy.deepcopy(order)

    save = add

    async def save_many(self, orders):
        for order in orders:
            await self.save(order)

    async def list_for_customer(self, customer_id, *, limit, after):
        orders = sorted(
            (o for o in {**self._committed, **self._staged}.values() if o.customer_id == customer_id),
            key=lambda o: (o.placed_at, o.order_id),
            reverse=True,
        )
        return [
            OrderSummary(
                o.order_id,
                o.status.value,
                o.channel.value,
                o.service_level.value,
                o.placed_at,
                o.promised_by,
                o.currency,
                o.total,
            )
            for o in orders
        ][:limit]


class FakeTimeline(_Table):
    async def append(self, entries):
        for entry in entries:
            self._staged.setdefault(entry.event_id, entry)

    async def for_order(self, order_id, *, limit, after):
        entries = [e for e in {**self._committed, **self._staged}.values() if e.order_id == order_id]
        return sorted(entries, key=lambda e: e.occurred_at)[:limit]


class FakeIdempotencyKeys(_Table):
    async def claim(self, request: IdempotentRequest):
        known = self.read((request.principal, request.key))
        if known is None:
            self._staged[(request.principal, request.key)] = (request.fingerprint, None)
            return None
        fingerprint, reply = known
        if fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(request.key)
        return Reply(reply.status_code, reply.body, replayed=True)

    async def remember(self, request, reply):
        self._staged[(request.principal, request.key)] = (request.fingerprint, reply)


class FakeOrderEntry:
    """The fast placing path, made of the fake tables: the same effects as get, items, claim, add, append, remember."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def reference(self, customer_id, skus, *, checked=False):
        return Reference(await self._uow.customers.get(customer_id), await self._uow.catalog.items(skus))

    async def place(self, order, timeline, reply, idempotency, reference):
        if idempotency is not None:
            if self._uow.idempotency_keys.read((idempotency.principal, idempotency.key)) is not None:
                return Placement(placed=False)
            await self._uow.idempotency_keys.remember(idempotency, reply)
        await self._uow.orders.add(order)
        await self._uow.timeline.append(timeline)
        return Placement(placed=True)


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def __aenter__(self) -> FakeUnitOfWork:
        self._staged: dict[str, dict] = {name: {} for name in ("customers", "catalog", "orders", "timeline", "keys")}
        self._events: list[Envelope] = []
        self.customers = FakeCustomers(self.store.customers, self._staged["customers"])
        self.catalog = FakeCatalog(self.store.catalog, self._staged["catalog"])
        self.orders = FakeOrders(self.store.orders, self._staged["orders"])
        self.timeline = FakeTimeline(self.store.timeline, self._staged["timeline"])
        self.idempotency_keys = FakeIdempotencyKeys(self.store.keys, self._staged["keys"])
        self.entry = FakeOrderEntry(self)
        return self

    async def __aexit__(self, *exc) -> None:
        self._staged = {}

    def record(self, type: str, key: str, data: dict[str, Any], *, time=None) -> Envelope:
        envelope = new_envelope(type=type, source="/order-svc", key=key, data=data, time=time)
        self._events.append(envelope)
        return envelope

    async def flush_events(self) -> None:
        pass

    async def commit(self) -> None:
        for name, changes in self._staged.items():
            getattr(self.store, name).update(changes)
        self.store.outbox.extend(self._events)
        self.store.commits += 1
