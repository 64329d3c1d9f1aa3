"""Event payloads of the `orderpulse.fulfillment` topic, published by fulfillment-svc.

Keyed by order id, except `labor.shift_recorded`, which is keyed by warehouse id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from annotated_types import MinLen
from pydantic import AwareDatetime, Field, model_validator

from .common import (
    Condition,
    Document,
    DocumentDiscrepancy,
    EventData,
    Id,
    Line,
    Money,
    Quantity,
    SkuQuantity,
)
from .limits import STAFF_MAX

NonEmpty = MinLen(1)


class FulfillmentCreated(EventData):
    """A warehouse took on (part of) an order."""

    fulfillment_id: Id
    order_id: Id
    warehouse_id: Id
    lines: Annotated[tuple[Line, ...], NonEmpty]


class InventoryBackordered(EventData):
    """A SKU was short at the warehouse; `expected_at` is when stock should arrive."""

    order_id: Id
    warehouse_id: Id
    sku: Id
    quantity_short: Quantity
    expected_at: AwareDatetime | None = None


class InventoryAdjusted(EventData):
    """A warehouse's on-hand count of a SKU changed outside an order (key: warehouse id)."""

    warehouse_id: Id
    sku: Id
    on_hand_before: Annotated[int, Field(ge=0)]
    on_hand_after: Annotated[int, Field(ge=0)]
    reason: Literal["count", "shrinkage", "receipt", "return"]


class FulfillmentPacked(EventData):
    """A parcel was packed, with the documents put in it and any problems with them."""

    fulfillment_id: Id
    shipment_id: Id
    order_id: Id
    lines: Annotated[tuple[SkuQuantity, ...], NonEmpty]
    documents: tuple[Document, ...]
    document_discrepancies: tuple[DocumentDiscrepancy, ...]


class ShipmentDispatched(EventData):
    """A parcel left the warehouse with a carrier."""

    shipment_id: Id
    order_id: Id
    warehouse_id: Id
    carrier: Id
    tracking_number: Id
    lines: Annotated[tuple[Line, ...], NonEmpty]
    promised_by: AwareDatetime
    eta: AwareDatetime
    shipping_cost: Money | None = None


class ShipmentInTransit(EventData):
    """The carrier scanned the parcel on its way."""

    shipment_id: Id
    order_id: Id
    carrier: Id
    location: str | None = None
    eta: AwareDatetime | None = None


class ShipmentOutForDelivery(EventData):
    """The parcel is on the vehicle for its final leg."""

    shipment_id: Id
    order_id: Id
    carrier: Id
    eta: AwareDatetime | None = None


class ShipmentDelayed(EventData):
    """The carrier moved the expected delivery to `new_eta`."""

    shipment_id: Id
    order_id: Id
    carrier: Id
    reason: str
    new_eta: AwareDatetime


class ShipmentDeliveryFailed(EventData):
    """A delivery attempt failed; `next_attempt` is when the carrier tries again."""

    shipment_id: Id
    order_id: Id
    carrier: Id
    reason: str
    next_attempt: AwareDatetime | None = None


class ShipmentExceptionReported(EventData):
    """The carrier reported the parcel lost, damaged or otherwise stuck."""

    shipment_id: Id
    order_id: Id
    carrier: Id
    reason: Literal["lost", "damaged_in_transit", "address_problem", "other"]


class ShipmentDelivered(EventData):
    """The parcel reached the customer; `lines` are what was delivered."""

    shipment_id: Id
    order_id: Id
    carrier: Id
    condition: Condition
    lines: Annotated[tuple[SkuQuantity, ...], NonEmpty]
    proof: str | None = None


class FulfillmentCompleted(EventData):
    """Fulfilment of the order is over: all delivered, or closed short.

    `delivered_at` is the last delivery's time, null only when nothing was delivered.
    """

    order_id: Id
    shipments: Annotated[int, Field(ge=0)]
    delivered_at: AwareDatetime | None
    lines_requested: Annotated[tuple[SkuQuantity, ...], NonEmpty]
    lines_delivered: tuple[SkuQuantity, ...]
    closed_short: bool = Field(description="closed with items never delivered")


class ReturnReceived(EventData):
    """Returned items arrived back at a warehouse."""

    order_id: Id
    return_id: Id
    lines: Annotated[tuple[Line, ...], NonEmpty]
    condition: Condition


class LaborShiftRecorded(EventData):
    """A warehouse shift's staffing and cost, for cost-per-order figures."""

    warehouse_id: Id
    shift_id: Id
    start: AwareDatetime
    end: AwareDatetime
    staff: Annotated[int, Field(ge=0, le=STAFF_MAX)]
    hourly_cost: Money

    @model_validator(mode="after")
    def _end_after_start(self) -> LaborShiftRecorded:
        if self.end <= self.start:
            raise ValueError("a shift must end after it starts")
        return self


EVENTS: Mapping[str, type[EventData]] = {
    "fulfillment.created.v1": FulfillmentCreated,
    "inventory.backordered.v1": InventoryBackordered,
    "inventory.adjusted.v1": InventoryAdjusted,
    "fulfillment.packed.v1": FulfillmentPacked,
    "shipment.dispatched.v1": ShipmentDispatched,
    "shipment.in_transit.v1": ShipmentInTransit,
    "shipment.out_for_delivery.v1": ShipmentOutForDelivery,
    "shipment.delayed.v1": ShipmentDelayed,
    "shipment.delivery_failed.v1": ShipmentDeliveryFailed,
    "shipment.exception.v1": ShipmentExceptionReported,
    "shipment.delivered.v1": ShipmentDelivered,
    "fulfillment.completed.v1": FulfillmentCompleted,
    "return.received.v1": ReturnReceived,
    "labor.shift_recorded.v1": LaborShiftRecorded,
}
