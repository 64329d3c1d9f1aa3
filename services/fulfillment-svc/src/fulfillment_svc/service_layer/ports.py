"""What the handlers need from storage, as protocols: `adapters/` implements them over PostgreSQL.

Locking contract (what makes concurrent work safe): stock rows are locked before fulfillments,
stock rows in sku order, several fulfillments in id order. Every transaction that creates or
grows a backorder of a sku holds that sku's stock row, so once a caller holds it the set of
fulfillments owed that sku can only shrink.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from orderpulse.commands import StoredReply, TransientConflict

from fulfillment_svc.domain.backorders import Backorder
from fulfillment_svc.domain.events import DomainEvent, LaborShiftRecorded
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.stock import Stock

__all__ = ["StoredReply", "TransientConflict"]  # the platform's, re-exported for the service's layers


@dataclass(frozen=True)
class RecordedShift:
    warehouse_id: str
    shift_id: str
    start: datetime
    end: datetime
    staff: int
    hourly_cost: Decimal


@dataclass(frozen=True)
class ReceivedReturn:
    return_id: str
    order_id: str
    fulfillment_id: str
    condition: str
    lines: tuple[dict[str, Any], ...]
    restocked: tuple[dict[str, Any], ...]
    occurred_at: datetime


@dataclass(frozen=True)
class RequestedReturn:
    """A `return.requested` order-svc published: which order a return id belongs to."""

    return_id: str
    order_id: str
    lines: tuple[dict[str, Any], ...]
    reason: str
    kind: str
    requested_at: datetime


@dataclass(frozen=True)
class ScanClaim:
    event_id: str
    tracking_number: str
    shipment_id: str
    status: str
    occurred_at: datetime
    applied: bool


class StockRepository(Protocol):
    async def lock(self, warehouse_id: str, skus: Iterable[str]) -> dict[str, Stock]:
        """The rows of these skus, created at zero when missing, locked in sku order (the
        warehouse's stock lock taken exclusively first)."""

    async def share(self, warehouse_id: str, skus: Iterable[str]) -> dict[str, Stock]:
        """For a transaction that only ships reserved units: the warehouse's stock lock taken
        shared, the rows read without a row lock; `save` writes their changes as differences and
        locks the rows (in order) only then."""

    async def lock_existing(self, warehouse_ids: Iterable[str], skus: Iterable[str]) -> dict[str, dict[str, Stock]]:
        """warehouse -> sku -> row, for the rows that exist, locked: each warehouse's stock lock
        (warehouses in order), then the rows in (warehouse, sku) order. Creates nothing."""

    async def create_at_zero(self, rows: Iterable[Stock]) -> None:
        """Create these missing rows at zero (their warehouses locked by `lock_existing`)."""

    async def save(self, rows: Iterable[Stock]) -> None:
        """Write what changed of these rows since they were read, as differences."""

    async def available_by_warehouse(self, skus: Iterable[str]) -> dict[str, dict[str, int]]:
        """Unlocked read: warehouse -> sku -> available, for choosing a warehouse."""

    async def page(self, warehouse_id: str, *, after_sku: str | None, limit: int) -> list[Stock]: ...


class FulfillmentRepository(Protocol):
    async def get(self, fulfillment_id: str, *, lock: bool = False) -> Fulfillment | None: ...

    async def get_by_order(self, order_id: str, *, lock: bool = False) -> Fulfillment | None: ...

    async def lock_many(self, fulfillment_ids: Iterable[str]) -> dict[str, Fulfillment]:
        """Load and lock several fulfillments, in id order."""

    async def add(self, fulfillment: Fulfillment) -> None: ...

    async def add_many(self, added: Sequence[Fulfillment]) -> None: ...

    async def cancelled_and_by_orders(self, order_ids: Iterable[str]) -> tuple[set[str], dict[str, Fulfillment]]:
        """Unlocked, read together: those of `order_ids` cancelled before any fulfillment was opened
        for them, and order id -> its fulfillment for those that have one."""

    async def orders_with_fulfillment(self, order_ids: Iterable[str]) -> set[str]:
        """Those of `order_ids` that have a fulfillment."""

    async def save(self, fulfillment: Fulfillment) -> None: ...

    async def save_many(self, changed: Sequence[Fulfillment]) -> None:
        """`save` for each of `changed` (distinct), with as few statements as may be."""

    async def backorders_of(self, warehouse_id: str, sku: str) -> list[Backorder]:
        """Open backorders of a sku in a warehouse, oldest first (as last saved)."""

    async def backorders_of_many(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Backorder]]:
        """`backorders_of` for several (warehouse, sku) in one read (every pair asked for is a key)."""

    async def reserving(self, warehouse_id: str, sku: str) -> list[str]:
        """Ids of the fulfillments holding a reservation of `sku` in `warehouse_id` (unlocked read)."""

    async def fulfillment_ids_tracking(self, carrier: str, tracking_numbers: Iterable[str]) -> dict[str, str]:
        """tracking number -> fulfillment id, for this carrier's dispatched shipments only."""

    async def shipment_owner(self, shipment_id: str) -> str | None: ...

    async def tracking_owner(self, carrier: str, tracking_number: str) -> str | None:
        """The shipment already dispatched under this carrier's tracking number, if any."""

    async def queue(
        self,
        *,
        warehouse_id: str | None,
        order_id: str | None,
        statuses: Sequence[str],
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Fulfillment]:
        """Oldest ship deadline first, then id; `after` is the (deadline, id) the last page ended at."""

    async def is_order_cancelled(self, order_id: str) -> bool: ...

    async def mark_order_cancelled(self, order_id: str, reason: str, cancelled_at: datetime) -> None: ...

    async def mark_orders_cancelled(self, cancelled: Sequence[tuple[str, str, datetime]]) -> None:
        """`mark_order_cancelled` for many (order id, reason, time); the first of an order wins."""


class ScanLog(Protocol):
    async def seen(self, carrier: str, event_ids: Iterable[str]) -> set[str]: ...

    async def claim(self, carrier: str, claims: Sequence[ScanClaim]) -> set[str]:
        """Record accepted scans; returns the event ids that were new (a concurrent batch may have won)."""


class LaborShifts(Protocol):
    async def add(self, shift: LaborShiftRecorded) -> bool:
        """False when the shift id was already recorded in that warehouse."""

    async def get(self, warehouse_id: str, shift_id: str) -> RecordedShift | None: ...


class ReturnsReceived(Protocol):
    async def add(self, received: ReceivedReturn) -> bool:
        """False when the return id was already received."""

    async def get(self, return_id: str) -> ReceivedReturn | None: ...


class RequestedReturns(Protocol):
    async def add_many(self, requested: Sequence[RequestedReturn]) -> None:
        """Remember requested returns, in order (an id already known, or given again, changes nothing)."""

    async def order_of(self, return_id: str) -> str | None: ...


class IdempotencyKeys(Protocol):
    async def claim(self, principal: str, key: str, fingerprint: str) -> StoredReply | None:
        """None for the first use of `key`; the stored reply for a replay; raises on another body."""

    async def save(self, principal: str, key: str, status_code: int, body: bytes) -> None: ...


class FulfillmentUnitOfWork(Protocol):
    stock: StockRepository
    fulfillments: FulfillmentRepository
    scans: ScanLog
    labor: LaborShifts
    returns: ReturnsReceived
    requested_returns: RequestedReturns
    idempotency: IdempotencyKeys

    async def __aenter__(self) -> FulfillmentUnitOfWork: ...

    async def __aexit__(self, *exc: Any) -> None: ...

    def record(self, events: Iterable[DomainEvent], *, vouched: Collection[type[DomainEvent]] = ()) -> None:
        """Stage events for the outbox, each validated against the catalog, except those of the
        `vouched` types: the caller vouches that the domain built them from data already validated
        against the catalog (see `order_batch.BUILT_FROM_CHECKED_ORDERS`)."""

    async def commit(self) -> None: ...

