"""Event payloads of the `orderpulse.orders` topic, published by order-svc (key: order id)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from annotated_types import MinLen
from pydantic import AwareDatetime, Field

from .common import (
    Address,
    Correction,
    Currency,
    CustomerTier,
    Discrepancy,
    EventData,
    Id,
    Line,
    Money,
    ServiceLevel,
    SkuQuantity,
)

NonEmpty = MinLen(1)


class OrderPlaced(EventData):
    """An order was accepted; `entry_discrepancies` lists what the entry checks found."""

    order_id: Id
    customer_id: Id
    customer_tier: CustomerTier
    channel: Literal["web", "mobile", "phone", "marketplace", "b2b"]
    lines: Annotated[tuple[Line, ...], NonEmpty]
    currency: Currency
    total: Money
    ship_to: Address
    service_level: ServiceLevel
    promised_by: AwareDatetime
    requested_at: AwareDatetime | None = Field(
        default=None, description="when the customer began ordering"
    )
    entry_discrepancies: tuple[Discrepancy, ...]


class OrderHeld(EventData):
    """The order stopped for review because of the listed discrepancies."""

    order_id: Id
    discrepancies: Annotated[tuple[Discrepancy, ...], NonEmpty]


class OrderCorrected(EventData):
    """The order was changed after entry, which makes its entry inaccurate."""

    order_id: Id
    corrections: Annotated[tuple[Correction, ...], NonEmpty]


class OrderReleased(EventData):
    """A held order was released to continue."""

    order_id: Id


class OrderPaymentAuthorized(EventData):
    """The payment provider authorized the amount."""

    order_id: Id
    amount: Money
    currency: Currency
    reference: str


class OrderPaymentFailed(EventData):
    """The payment could not be authorized."""

    order_id: Id
    reason: str


class OrderConfirmed(EventData):
    """The order is ready to fulfil."""

    order_id: Id
    lines: Annotated[tuple[Line, ...], NonEmpty]
    ship_to: Address
    service_level: ServiceLevel
    promised_by: AwareDatetime
    placed_at: AwareDatetime | None = None  # the ship deadline (kpis.md) counts from placement


class OrderInvoiced(EventData):
    """An invoice was issued for the order."""

    order_id: Id
    invoice_id: Id
    lines: Annotated[tuple[Line, ...], NonEmpty]
    subtotal: Money
    tax: Money
    total: Money
    currency: Currency


class OrderCancelled(EventData):
    """The order was cancelled; `cancelled_by` names who did it."""

    order_id: Id
    reason: str
    cancelled_by: str


class ReturnRequested(EventData):
    """The customer asked to send items back."""

    order_id: Id
    return_id: Id
    lines: Annotated[tuple[SkuQuantity, ...], NonEmpty]
    reason: Literal["damaged", "wrong_item", "missing_item", "not_as_described", "changed_mind"]
    kind: Literal["refund", "exchange"]


EVENTS: Mapping[str, type[EventData]] = {
    "order.placed.v1": OrderPlaced,
    "order.held.v1": OrderHeld,
    "order.corrected.v1": OrderCorrected,
    "order.released.v1": OrderReleased,
    "order.payment_authorized.v1": OrderPaymentAuthorized,
    "order.payment_failed.v1": OrderPaymentFailed,
    "order.confirmed.v1": OrderConfirmed,
    "order.invoiced.v1": OrderInvoiced,
    "order.cancelled.v1": OrderCancelled,
    "return.requested.v1": ReturnRequested,
}
