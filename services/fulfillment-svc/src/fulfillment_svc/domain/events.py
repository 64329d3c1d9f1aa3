"""Domain events of fulfillment-svc: the `orderpulse.fulfillment` topic of events.md.

Each event is an immutable value. `type` is the catalog type (the envelope adds the
`orderpulse.` prefix), `occurred_at` is event time (the envelope's `time`), `key` is the
partition key, and `to_data()` is the envelope's `data`: exactly the catalog's field names,
JSON-ready (times as RFC 3339 UTC text, money as decimal strings). Optional fields that are
not known are left out rather than sent as null.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from fulfillment_svc.domain.documents import Discrepancy, DocumentRef
from fulfillment_svc.domain.values import OrderLine, SkuQuantity, format_amount, format_time


@dataclass(frozen=True, slots=True)
class DomainEvent:
    type: ClassVar[str]
    optional_fields: ClassVar[frozenset[str]] = frozenset()

    occurred_at: datetime

    @property
    def key(self) -> str:
        """Record key: the order id (labor shifts override it with the warehouse id)."""
        return self.order_id

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        optional = self.optional_fields
        for name in _data_fields(type(self)):
            value = getattr(self, name)
            if value is None and name in optional:
                continue
            data[name] = _jsonable(value)
        return data


@functools.cache
def _data_fields(event_class: type[DomainEvent]) -> tuple[str, ...]:
    """The fields that make an event's `data` (all but `occurred_at`), in declaration order;
    read once per class (`dataclasses.fields` is costly for every event)."""
    return tuple(spec.name for spec in fields(event_class) if spec.name != "occurred_at")


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int:  # most fields: nothing to convert
        return value
    if kind is tuple:  # the lines of an order or a package (every opened fulfillment's event has them)
        return [item.to_data() if type(item) in _VALUES_WITH_DATA else _jsonable(item) for item in value]
    if kind in _VALUES_WITH_DATA:
        return value.to_data()
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    if hasattr(value, "to_data"):
        return value.to_data()
    return value


# The value types events carry, converted by their own `to_data` without the checks above (exact
# types: what `_jsonable` does for them is the same either way).
_VALUES_WITH_DATA: frozenset[type] = frozenset({OrderLine, SkuQuantity, DocumentRef, Discrepancy})


@dataclass(frozen=True, slots=True)
class InventoryAdjusted(DomainEvent):
    """A warehouse's on-hand count changed outside an order (key: warehouse id)."""

    type: ClassVar[str] = "inventory.adjusted.v1"

    warehouse_id: str
    sku: str
    on_hand_before: int
    on_hand_after: int
    reason: str  # count | shrinkage | receipt | return

    @property
    def key(self) -> str:
        return self.warehouse_id


@dataclass(frozen=True, slots=True)
class FulfillmentCreated(DomainEvent):
    type: ClassVar[str] = "fulfillment.created.v1"

    fulfillment_id: str
    order_id: str
    warehouse_id: str
    lines: tuple[OrderLine, ...]

    def to_data(self) -> dict[str, Any]:
        """The generic `to_data`'s result written out (every order the consumer opens records one; a
        test keeps the bytes equal to the generic walk's)."""
        return {"fulfillment_id": self.fulfillment_id, "order_id": self.order_id, "warehouse_id": self.warehouse_id,
                "lines": [line.to_data() for line in self.lines]}


@dataclass(frozen=True, slots=True)
class InventoryBackordered(DomainEvent):
    type: ClassVar[str] = "inventory.backordered.v1"
    optional_fields: ClassVar[frozenset[str]] = frozenset({"expected_at"})

    order_id: str
    warehouse_id: str
    sku: str
    quantity_short: int
    expected_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentPacked(DomainEvent):
    type: ClassVar[str] = "fulfillment.packed.v1"

    fulfillment_id: str
    shipment_id: str
    order_id: str
    lines: tuple[SkuQuantity, ...]
    documents: tuple[DocumentRef, ...]
    document_discrepancies: tuple[Discrepancy, ...]


@dataclass(frozen=True, slots=True)
class ShipmentDispatched(DomainEvent):
    """`eta` is required by the catalog; the service estimates one when the warehouse gives none."""

    type: ClassVar[str] = "shipment.dispatched.v1"
    optional_fields: ClassVar[frozenset[str]] = frozenset({"shipping_cost"})

    shipment_id: str
    order_id: str
    warehouse_id: str
    carrier: str
    tracking_number: str
    lines: tuple[OrderLine, ...]
    promised_by: datetime
    eta: datetime
    shipping_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ShipmentInTransit(DomainEvent):
    type: ClassVar[str] = "shipment.in_transit.v1"
    optional_fields: ClassVar[frozenset[str]] = frozenset({"location", "eta"})

    shipment_id: str
    order_id: str
    carrier: str
    location: str | None = None
    eta: datetime | None = None


@dataclass(frozen=True, slots=True)
class ShipmentOutForDelivery(DomainEvent):
    type: ClassVar[str] = "shipment.out_for_delivery.v1"
    optional_fields: ClassVar[frozenset[str]] = frozenset({"eta"})

    shipment_id: str
    order_id: str
    carrier: str
    eta: datetime | None = None


@dataclass(frozen=True, slots=True)
class ShipmentDelayed(DomainEvent):
    type: ClassVar[str] = "shipment.delayed.v1"

    shipment_id: str
    order_id: str
    carrier: str
    reason: str
    new_eta: datetime


@dataclass(frozen=True, slots=True)
class ShipmentDeliveryFailed(DomainEvent):
    type: ClassVar[str] = "shipment.delivery_failed.v1"
    optional_fields: ClassVar[frozenset[str]] = frozenset({"next_attempt"})

    shipment_id: str
    order_id: str
    carrier: str
    reason: str
    next_attempt: datetime | None = None


@dataclass(frozen=True, slots=True)
class ShipmentExceptionReported(DomainEvent):
    type: ClassVar[str] = "shipment.exception.v1"

    shipment_id: str
    order_id: str
    carrier: str
    reason: str


@dataclass(frozen=True, slots=True)
class ShipmentDelivered(DomainEvent):
    type: ClassVar[str] = "shipment.delivered.v1"
    optional_fields: ClassVar[frozenset[str]] = frozenset({"proof"})

    shipment_id: str
    order_id: str
    carrier: str
    condition: str
    lines: tuple[SkuQuantity, ...]
    proof: str | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentCompleted(DomainEvent):
    type: ClassVar[str] = "fulfillment.completed.v1"

    order_id: str
    shipments: int
    delivered_at: datetime
    lines_requested: tuple[SkuQuantity, ...]
    lines_delivered: tuple[SkuQuantity, ...]
    closed_short: bool


@dataclass(frozen=True, slots=True)
class ReturnReceived(DomainEvent):
    type: ClassVar[str] = "return.received.v1"

    order_id: str
    return_id: str
    lines: tuple[OrderLine, ...]
    condition: str


@dataclass(frozen=True, slots=True)
class LaborShiftRecorded(DomainEvent):
    type: ClassVar[str] = "labor.shift_recorded.v1"

    warehouse_id: str
    shift_id: str
    start: datetime
    end: datetime
    staff: int
    hourly_cost: Decimal

    @property
    def key(self) -> str:
        return self.warehouse_id
