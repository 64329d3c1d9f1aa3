"""What the service layer needs from the outside world, as protocols and plain read models.

`adapters/` fills these with PostgreSQL (`SqlOrderUnitOfWork`); unit tests fill them with
fakes. Nothing here knows SQL, HTTP or Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, Self

from orderpulse.events.envelope import Envelope

from order_svc.domain.model import CatalogItem, Customer, Order
from order_svc.service_layer.clock import to_milliseconds


@dataclass(frozen=True)
class OrderSummary:
    """One line of a customer's order list."""

    order_id: str
    status: str
    channel: str
    service_level: str
    placed_at: datetime
    promised_by: datetime
    currency: str
    total: Decimal


@dataclass(frozen=True)
class TimelineEntry:
    """One lifecycle event of an order, from any service; `position` orders entries of equal time."""

    event_id: str
    order_id: str
    type: str
    source: str
    occurred_at: datetime
    data: dict[str, Any]
    position: int | None = None

    @classmethod
    def of(cls, envelope: Envelope, order_id: str | None = None) -> TimelineEntry:
        """The entry of an event, its time as published (milliseconds): an event order-svc writes
        and one it reads then compare alike."""
        return cls(
            event_id=envelope.id,
            order_id=order_id or envelope.partitionkey,
            type=envelope.type,
            source=envelope.source,
            occurred_at=to_milliseconds(envelope.time),
            data=envelope.data,
        )


@dataclass(frozen=True)
class Reply:
    """An HTTP answer decided inside a unit of work, so a replayed request can get it again."""

    status_code: int
    body: bytes
    replayed: bool = False


@dataclass(frozen=True)
class IdempotentRequest:
    """A creating call that carried `Idempotency-Key`: who sent it, the key, and a hash of what it asked."""

    principal: str
    key: str
    fingerprint: str


class Customers(Protocol):
    async def get(self, customer_id: str) -> Customer | None: ...

    async def save(self, customer: Customer) -> None: ...


class Catalog(Protocol):
    async def get(self, sku: str) -> CatalogItem | None: ...

    async def items(self, skus: Iterable[str]) -> dict[str, CatalogItem]: ...

    async def save(self, item: CatalogItem) -> None: ...


class Orders(Protocol):
    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """The order; `for_update` locks its row until the transaction ends."""
        ...

    async def get_many(self, order_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Order]:
        """The known ones among `order_ids`, by id; `for_update` locks their rows until the transaction ends."""
        ...

    async def exists(self, order_id: str) -> bool: ...

    async def add(self, order: Order) -> None: ...

    async def save(self, order: Order) -> None:
        """Write back an order this unit of work loaded (or added)."""
        ...

    async def save_many(self, orders: Sequence[Order]) -> None:
        """`save` for each of `orders` (distinct, each loaded by this unit of work)."""
        ...

    async def list_for_customer(
        self, customer_id: str, *, limit: int, after: tuple[datetime, str] | None
    ) -> list[OrderSummary]:
        """Newest first (by `placed_at`, then `order_id`), after the position given."""
        ...


class Timeline(Protocol):
    async def append(self, entries: Sequence[TimelineEntry]) -> None:
        """Add entries; an event already there (same id) is not added twice."""
        ...

    async def for_order(self, order_id: str, *, limit: int, after: tuple[datetime, int] | None) -> list[TimelineEntry]:
        """In event-time order, after the (occurred_at, position) given."""
        ...


class IdempotencyKeys(Protocol):
    async def claim(self, request: IdempotentRequest) -> Reply | None:
        """None when the key is new (go ahead); the first reply when it is a replay.
        Raises `orderpulse.db.idempotency.IdempotencyKeyReused` when the key came with another request."""
        ...

    async def remember(self, request: IdempotentRequest, reply: Reply) -> None: ...


@dataclass(frozen=True)
class Reference:
    """What an order is decided against: the customer (None if unknown), the catalog items of its
    skus that exist, and whether they were read from the tables just now (`checked`) or are
    copies the placing statement verifies. `seen` is the adapter's record of the values."""

    customer: Customer | None
    catalog: dict[str, CatalogItem]
    checked: bool = True
    seen: Any = None


@dataclass(frozen=True)
class Placement:
    """What placing did: `placed`; or nothing, because the key was taken (`placed` False), or because
    the reference data had changed (`outdated_by`: the current values, to decide the order again)."""

    placed: bool
    outdated_by: Reference | None = None


class OrderEntry(Protocol):
    """Placing an order with as few round trips as the database allows (the busiest route)."""

    async def reference(self, customer_id: str, skus: Iterable[str], *, checked: bool = False) -> Reference:
        """The reference data of an order: held copies when there are (`checked` False), else, or
        with `checked`, read from the tables."""
        ...

    async def place(
        self,
        order: Order,
        timeline: Sequence[TimelineEntry],
        reply: Reply,
        idempotency: IdempotentRequest | None,
        reference: Reference,
    ) -> Placement:
        """Atomically claim the key with `reply`, and write the new order (lines, invoices), its timeline
        entries and the events recorded so far in this unit of work (the outbox), if `reference` is
        still what the tables hold. Nothing is written when it is not (`outdated_by`: decide again)
        or when the key was taken already (ask `IdempotencyKeys.claim` for the first reply)."""
        ...


class OrderUnitOfWork(Protocol):
    """One transaction over order-svc's data; events recorded in it reach the outbox at commit."""

    customers: Customers
    catalog: Catalog
    orders: Orders
    timeline: Timeline
    idempotency_keys: IdempotencyKeys
    entry: OrderEntry

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def record(self, type: str, key: str, data: dict[str, Any], *, time: datetime | None = None) -> Envelope: ...

    async def flush_events(self) -> None: ...

    async def commit(self) -> None: ...
