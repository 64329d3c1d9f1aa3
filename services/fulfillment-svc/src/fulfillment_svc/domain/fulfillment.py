"""The fulfillment aggregate: one order's journey through one warehouse.

Per sku the requested quantity is always accounted for as
    requested = reserved (in stock, not yet shipped; packed or not) + backordered + dispatched
until the fulfillment is cancelled or closed, which release `reserved` and drop `backordered`.
Methods change the aggregate and append domain events to `events`; nothing is published here.
Stock rows are passed in, locked by the caller, and changed in place in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fulfillment_svc.domain import completion
from fulfillment_svc.domain.backorders import Backorder
from fulfillment_svc.domain.dispatching import check_dispatch, dispatched_shipment
from fulfillment_svc.domain.documents import Document
from fulfillment_svc.domain.errors import (
    AlreadyCancelled,
    AlreadyDispatched,
    FulfillmentClosed,
    InvalidQuantity,
    ShipmentNotFound,
)
from fulfillment_svc.domain.events import DomainEvent, InventoryBackordered
from fulfillment_svc.domain.packing import packable_quantities, packed_shipment
from fulfillment_svc.domain.scans import DEFAULT_CLOCK_SKEW_ALLOWANCE, CarrierScan, ScanOutcome, apply_scan
from fulfillment_svc.domain.shipment import CANCELLED, Shipment
from fulfillment_svc.domain.stock import Stock
from fulfillment_svc.domain.values import (
    OrderLine,
    SkuQuantity,
    add_quantities,
    allocate_to_order_lines,
    parse_text,
    quantities_by_sku,
    require_aware,
    value_of,
)

OPEN = "open"
PACKING = "packing"
PARTIALLY_DISPATCHED = "partially_dispatched"
FULLY_DISPATCHED = "dispatched"
COMPLETED = "completed"
CLOSED_SHORT = "closed_short"
CANCELLED_STATUS = "cancelled"


@dataclass(eq=False, slots=True)
class Fulfillment:
    fulfillment_id: str
    order_id: str
    warehouse_id: str
    lines: tuple[OrderLine, ...]
    promised_by: datetime
    ship_deadline: datetime
    created_at: datetime
    service_level: str = "standard"
    ship_to: Mapping[str, Any] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)
    backordered: dict[str, int] = field(default_factory=dict)
    shipments: list[Shipment] = field(default_factory=list)
    returned: dict[str, int] = field(default_factory=dict)
    received_return_ids: set[str] = field(default_factory=set)
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    close_requested_at: datetime | None = None
    close_reason: str | None = None
    completed_at: datetime | None = None
    closed_short: bool = False
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    # --- what the fulfillment knows --------------------------------------------------------

    @property
    def requested(self) -> dict[str, int]:
        return quantities_by_sku(self.lines)

    @property
    def dispatched(self) -> dict[str, int]:
        return add_quantities(*(s.quantities for s in self.shipments if s.is_dispatched))

    @property
    def delivered(self) -> dict[str, int]:
        return add_quantities(*(s.delivered_quantities for s in self.shipments if s.is_delivered))

    @property
    def packed_not_dispatched(self) -> dict[str, int]:
        return add_quantities(*(s.quantities for s in self.shipments if s.is_packed))

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    @property
    def is_closing(self) -> bool:
        """Closed by the warehouse, waiting for shipments still with the carrier."""
        return self.close_requested_at is not None and not self.is_completed

    @property
    def status(self) -> str:
        if self.is_cancelled:
            return CANCELLED_STATUS
        if self.is_completed:
            return CLOSED_SHORT if self.closed_short else COMPLETED
        if not self.shipments:  # a fulfillment nothing was packed for yet (every new one)
            return OPEN
        if any(self.dispatched.values()):
            owed = any(self.reserved.values()) or any(self.backordered.values())
            return PARTIALLY_DISPATCHED if owed else FULLY_DISPATCHED
        return PACKING if any(s.is_packed for s in self.shipments) else OPEN

    def shipment(self, shipment_id: str) -> Shipment:
        for shipment in self.shipments:
            if shipment.shipment_id == shipment_id:
                return shipment
        raise ShipmentNotFound(f"fulfillment {self.fulfillment_id} has no shipment {shipment_id}", field="shipment_id")

    def shipment_tracked_as(self, carrier: str, tracking_number: str) -> Shipment | None:
        for shipment in self.shipments:
            if shipment.is_dispatched and (shipment.carrier, shipment.tracking_number) == (carrier, tracking_number):
                return shipment
        return None

    def skus_holding_stock(self) -> tuple[str, ...]:
        """The skus whose stock rows a cancel, close or dispatch needs locked."""
        return tuple(sku for sku, quantity in self.reserved.items() if quantity)

    # --- backorders ------------------------------------------------------------------------

    def backorder_of(self, sku: str) -> Backorder | None:
        owed = self.backordered.get(sku, 0)
        if owed <= 0 or self.is_cancelled or self.close_requested_at is not None:
            return None
        return Backorder(self.fulfillment_id, sku, owed, self.created_at)

    def fill_backorder(self, sku: str, quantity: int) -> None:
        """Stock came in for this backorder and was reserved for it."""
        owed = self.backordered.get(sku, 0)
        if quantity < 1 or quantity > owed:
            raise InvalidQuantity(f"{sku}: {owed} owed, cannot fill {quantity}", field="quantity")
        self.backordered[sku] = owed - quantity
        if not self.backordered[sku]:
            del self.backordered[sku]
        self.reserved[sku] = self.reserved.get(sku, 0) + quantity

    def lose_reservation(self, sku: str, quantity: int, occurred_at: datetime) -> int:
        """Shrinkage: up to `quantity` reserved units of `sku` that are not packed are gone from
        the shelf. They become backordered again (`inventory.backordered`); returns how many."""
        loose = self.reserved.get(sku, 0) - self.packed_not_dispatched.get(sku, 0)
        taken = max(0, min(quantity, loose))
        if taken:
            self.reserved[sku] -= taken
            if not self.reserved[sku]:
                del self.reserved[sku]
            self.backordered[sku] = self.backordered.get(sku, 0) + taken
            self.events.append(InventoryBackordered(occurred_at, self.order_id, self.warehouse_id, sku, taken))
        return taken

    # --- warehouse work --------------------------------------------------------------------

    def pack(
        self,
        *,
        shipment_id: str,
        lines: Sequence[SkuQuantity],
        documents: Sequence[Document],
        occurred_at: datetime,
    ) -> Shipment:
        """Pack reserved units with their documents, and check the documents.

        A new `shipment_id` starts a package; the id of a package not yet dispatched packs it
        again and replaces it (how a warehouse fixes document discrepancies). Packing more than
        is reserved is refused: overshipping cannot be fixed by a document and would take stock
        other orders hold. Discrepancies do not refuse the pack; they block its dispatch.
        """
        self._require_accepting_work()
        require_aware(occurred_at, field="occurred_at")
        parse_text(shipment_id, field="shipment_id")
        previous = next((s for s in self.shipments if s.shipment_id == shipment_id), None)
        if previous is not None and not previous.is_packed:
            raise AlreadyDispatched(
                f"shipment {shipment_id} is {previous.status}; pack under a new id", field="shipment_id"
            )
        packed = self._packable(lines, replacing=previous)
        packed_value = value_of(allocate_to_order_lines(self.lines, packed, already=self.dispatched))
        shipment, event = packed_shipment(
            fulfillment_id=self.fulfillment_id,
            order_id=self.order_id,
            shipment_id=shipment_id,
            packed=packed,
            documents=documents,
            packed_value=packed_value,
            occurred_at=occurred_at,
        )
        self._put(shipment, replacing=previous)
        self.events.append(event)
        return shipment

    def dispatch(
        self,
        *,
        shipment_id: str,
        carrier: str,
        tracking_number: str,
        occurred_at: datetime,
        stock_by_sku: Mapping[str, Stock],
        eta: datetime | None = None,
        shipping_cost: Decimal | None = None,
        override: bool = False,
    ) -> Shipment:
        """Hand a packed shipment to a carrier; its reserved stock leaves the warehouse."""
        self._require_accepting_work()
        packed = self.shipment(shipment_id)
        check_dispatch(
            packed,
            carrier=carrier,
            tracking_number=tracking_number,
            occurred_at=occurred_at,
            eta=eta,
            shipping_cost=shipping_cost,
            override=override,
            tracking_in_use=self.shipment_tracked_as(carrier, tracking_number) is not None,
        )
        order_lines = allocate_to_order_lines(self.lines, packed.quantities, already=self.dispatched)
        rows = {sku: self._stock_row(stock_by_sku, sku) for sku in packed.quantities}
        for sku, quantity in packed.quantities.items():
            rows[sku].ship(quantity)
            self._take_reserved(sku, quantity)
        shipment, event = dispatched_shipment(
            packed,
            warehouse_id=self.warehouse_id,
            promised_by=self.promised_by,
            order_lines=order_lines,
            carrier=carrier,
            tracking_number=tracking_number,
            occurred_at=occurred_at,
            eta=eta,
            shipping_cost=shipping_cost,
            override=override,
        )
        self._put(shipment, replacing=packed)
        self.events.append(event)
        return shipment

    def record_scan(
        self,
        carrier: str,
        scan: CarrierScan,
        *,
        clock_skew_allowance: timedelta = DEFAULT_CLOCK_SKEW_ALLOWANCE,
        now: datetime | None = None,
    ) -> ScanOutcome:
        """Apply a carrier scan to the shipment it tracks; completes the fulfillment when the last
        requested unit is delivered (or when a closing fulfillment has nothing left in flight).
        Scans keep being applied after a cancel: shipments already dispatched continue."""
        tracked = self.shipment_tracked_as(carrier, scan.tracking_number)
        outcome = apply_scan(tracked, carrier, scan, clock_skew_allowance=clock_skew_allowance, now=now)
        if outcome.shipment is not None and outcome.shipment is not tracked and tracked is not None:
            self._put(outcome.shipment, replacing=tracked)
            self.events.extend(outcome.events)
            self._complete_if_done()
        return outcome

    def close(self, *, reason: str, occurred_at: datetime, stock_by_sku: Mapping[str, Stock]) -> None:
        """The warehouse will send nothing more: release what is reserved, drop backorders and
        unsent packages. The fulfillment completes now, or, if shipments are still with the
        carrier, when the last of them is delivered or reported lost; it is closed short if
        any requested unit was never delivered."""
        self._require_accepting_work()
        require_aware(occurred_at, field="occurred_at")
        parse_text(reason, field="reason")
        self._release_undispatched(stock_by_sku)
        self.close_requested_at = occurred_at
        self.close_reason = reason
        self._complete_if_done()

    def cancel(self, *, reason: str, occurred_at: datetime, stock_by_sku: Mapping[str, Stock]) -> None:
        """The order was cancelled (`order.cancelled`): release what was not dispatched and drop
        backorders. Shipments already dispatched continue. Cancelling twice, or after completion,
        changes nothing (the event may be replayed)."""
        if self.is_cancelled or self.is_completed:
            return
        require_aware(occurred_at, field="occurred_at")
        self._release_undispatched(stock_by_sku)
        self.cancelled_at = occurred_at
        self.cancel_reason = reason

    # --- internals -------------------------------------------------------------------------

    def _require_accepting_work(self) -> None:
        if self.is_cancelled:
            raise AlreadyCancelled(f"fulfillment {self.fulfillment_id} was cancelled")
        if self.is_completed:
            raise FulfillmentClosed(f"fulfillment {self.fulfillment_id} is {self.status}")
        if self.is_closing:
            raise FulfillmentClosed(f"fulfillment {self.fulfillment_id} was closed and waits for its last shipments")

    def _packable(self, lines: Sequence[SkuQuantity], *, replacing: Shipment | None) -> dict[str, int]:
        return packable_quantities(
            lines,
            requested=self.requested,
            reserved=self.reserved,
            in_other_packages=add_quantities(
                *(s.quantities for s in self.shipments if s.is_packed and s is not replacing)
            ),
            backordered=self.backordered,
            dispatched=self.dispatched,
        )

    def _put(self, shipment: Shipment, *, replacing: Shipment | None) -> None:
        if replacing is None:
            self.shipments.append(shipment)
        else:
            ids = [s.shipment_id for s in self.shipments]
            self.shipments[ids.index(replacing.shipment_id)] = shipment

    def _take_reserved(self, sku: str, quantity: int) -> None:
        self.reserved[sku] = self.reserved.get(sku, 0) - quantity
        if not self.reserved[sku]:
            del self.reserved[sku]

    def _release_undispatched(self, stock_by_sku: Mapping[str, Stock]) -> None:
        rows = {sku: self._stock_row(stock_by_sku, sku) for sku in self.skus_holding_stock()}
        for sku, row in rows.items():
            row.release(self.reserved[sku])
        self.reserved.clear()
        self.backordered.clear()
        self.shipments = [replace(s, status=CANCELLED) if s.is_packed else s for s in self.shipments]

    def _complete_if_done(self) -> None:
        completed = completion.completion_of(self)
        if completed is not None:
            self.completed_at = completed.delivered_at
            self.closed_short = completed.closed_short
            self.events.append(completed)

    def _stock_row(self, stock_by_sku: Mapping[str, Stock], sku: str) -> Stock:
        row = stock_by_sku.get(sku)
        if row is None or row.warehouse_id != self.warehouse_id:
            raise LookupError(f"the caller must pass the locked stock row of {sku} in {self.warehouse_id}")
        return row
