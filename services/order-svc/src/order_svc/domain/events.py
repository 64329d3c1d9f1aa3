"""Domain events: immutable facts the aggregates record (events.md, orders and customers).

Each class has its catalog `type` and `topic`; `key` is the record key (order id, or
customer id on the customers topic); `occurred_at` is event time (the envelope's `time`);
`to_data()` is the envelope's `data`, field names exactly as in events.md, money as
decimal strings, times as RFC 3339 UTC. Optional fields are left out when absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from .money import money_text
from .times import format_time
from .values import Address, Correction, Discrepancy, OrderLine, SkuQuantity

ORDERS_TOPIC = "orderpulse.orders"
CUSTOMERS_TOPIC = "orderpulse.customers"


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str]
    topic: ClassVar[str] = ORDERS_TOPIC
    occurred_at: datetime

    @property
    def key(self) -> str:
        return self.order_id  # type: ignore[attr-defined]

    def to_data(self) -> dict[str, Any]:
        raise NotImplementedError


def _lines(lines: tuple[OrderLine, ...] | tuple[SkuQuantity, ...]) -> list[dict[str, Any]]:
    return [line.to_data() for line in lines]


def _findings(discrepancies: tuple[Discrepancy, ...]) -> list[dict[str, Any]]:
    return [d.to_data() for d in discrepancies]


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event):
    type: ClassVar[str] = "order.placed.v1"
    order_id: str
    customer_id: str
    customer_tier: str
    channel: str
    lines: tuple[OrderLine, ...]
    currency: str
    total: Decimal
    ship_to: Address
    service_level: str
    promised_by: datetime
    requested_at: datetime | None = None
    entry_discrepancies: tuple[Discrepancy, ...] = ()

    def to_data(self) -> dict[str, Any]:
        data = {
            "order_id": self.order_id,
            "customer_id": self.customer_id,
            "customer_tier": str(self.customer_tier),
            "channel": str(self.channel),
            "lines": _lines(self.lines),
            "currency": self.currency,
            "total": money_text(self.total, self.currency),
            "ship_to": self.ship_to.to_data(),
            "service_level": str(self.service_level),
            "promised_by": format_time(self.promised_by),
            "entry_discrepancies": _findings(self.entry_discrepancies),
        }
        if self.requested_at is not None:
            data["requested_at"] = format_time(self.requested_at)
        return data


@dataclass(frozen=True, kw_only=True)
class OrderHeld(Event):
    type: ClassVar[str] = "order.held.v1"
    order_id: str
    discrepancies: tuple[Discrepancy, ...]

    def to_data(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "discrepancies": _findings(self.discrepancies)}


@dataclass(frozen=True, kw_only=True)
class OrderCorrected(Event):
    type: ClassVar[str] = "order.corrected.v1"
    order_id: str
    corrections: tuple[Correction, ...]

    def to_data(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "corrections": [c.to_data() for c in self.corrections]}


@dataclass(frozen=True, kw_only=True)
class OrderReleased(Event):
    type: ClassVar[str] = "order.released.v1"
    order_id: str

    def to_data(self) -> dict[str, Any]:
        return {"order_id": self.order_id}


@dataclass(frozen=True, kw_only=True)
class PaymentAuthorized(Event):
    type: ClassVar[str] = "order.payment_authorized.v1"
    order_id: str
    amount: Decimal
    currency: str
    reference: str

    def to_data(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "amount": money_text(self.amount, self.currency),
            "currency": self.currency,
            "reference": self.reference,
        }


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(Event):
    type: ClassVar[str] = "order.payment_failed.v1"
    order_id: str
    reason: str

    def to_data(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class OrderConfirmed(Event):
    type: ClassVar[str] = "order.confirmed.v1"
    order_id: str
    lines: tuple[OrderLine, ...]
    ship_to: Address
    service_level: str
    promised_by: datetime
    placed_at: datetime  # the ship deadline counts from it (kpis.md)

    def to_data(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "lines": _lines(self.lines),
            "ship_to": self.ship_to.to_data(),
            "service_level": str(self.service_level),
            "promised_by": format_time(self.promised_by),
            "placed_at": format_time(self.placed_at),
        }


@dataclass(frozen=True, kw_only=True)
class OrderInvoiced(Event):
    type: ClassVar[str] = "order.invoiced.v1"
    order_id: str
    invoice_id: str
    lines: tuple[OrderLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    currency: str

    def to_data(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "invoice_id": self.invoice_id,
            "lines": _lines(self.lines),
            "subtotal": money_text(self.subtotal, self.currency),
            "tax": money_text(self.tax, self.currency),
            "total": money_text(self.total, self.currency),
            "currency": self.currency,
        }


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    type: ClassVar[str] = "order.cancelled.v1"
    order_id: str
    reason: str
    cancelled_by: str

    def to_data(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "reason": self.reason, "cancelled_by": self.cancelled_by}


@dataclass(frozen=True, kw_only=True)
class ReturnRequested(Event):
    type: ClassVar[str] = "return.requested.v1"
    order_id: str
    return_id: str
    lines: tuple[SkuQuantity, ...]
    reason: str
    kind: str

    def to_data(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "return_id": self.return_id,
            "lines": _lines(self.lines),
            "reason": str(self.reason),
            "kind": str(self.kind),
        }


@dataclass(frozen=True, kw_only=True)
class CustomerUpserted(Event):
    type: ClassVar[str] = "customer.upserted.v1"
    topic: ClassVar[str] = CUSTOMERS_TOPIC
    customer_id: str
    tier: str
    name: str
    email: str
    phone: str
    locale: str
    timezone: str
    account_manager: str | None = None

    @property
    def key(self) -> str:
        return self.customer_id

    def to_data(self) -> dict[str, Any]:
        data = {
            "customer_id": self.customer_id,
            "tier": str(self.tier),
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "locale": self.locale,
            "timezone": self.timezone,
        }
        if self.account_manager is not None:
            data["account_manager"] = self.account_manager
        return data


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        OrderPlaced,
        OrderHeld,
        OrderCorrected,
        OrderReleased,
        PaymentAuthorized,
        PaymentFailed,
        OrderConfirmed,
        OrderInvoiced,
        OrderCancelled,
        ReturnRequested,
        CustomerUpserted,
    )
}
