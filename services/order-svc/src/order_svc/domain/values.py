"""Value objects and vocabularies of the order domain (names and values follow events.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .money import money_text


class Tier(StrEnum):
    VIP = "vip"
    STANDARD = "standard"
    ONE_TIME = "one_time"


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    PHONE = "phone"
    MARKETPLACE = "marketplace"
    B2B = "b2b"


class ServiceLevel(StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"
    NEXT_DAY = "next_day"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    FAILED = "failed"


class DiscrepancyCode(StrEnum):
    PRICE_MISMATCH = "price_mismatch"
    UNKNOWN_SKU = "unknown_sku"
    INVALID_ADDRESS = "invalid_address"
    QUANTITY_LIMIT = "quantity_limit"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_AMOUNT_MISMATCH = "payment_amount_mismatch"


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    MISSING_ITEM = "missing_item"
    NOT_AS_DESCRIBED = "not_as_described"
    CHANGED_MIND = "changed_mind"


class ReturnKind(StrEnum):
    REFUND = "refund"
    EXCHANGE = "exchange"


@dataclass(frozen=True)
class Address:
    """Where an order ships. Empty parts are allowed here: the entry checks flag them."""

    country: str = ""
    region: str = ""
    city: str = ""
    postal_code: str = ""
    line1: str | None = None

    def to_data(self) -> dict[str, Any]:
        """The event form: country, region, city, postal_code (events.md), and `line1`
        when known (optional in the shared `Address` model; a warehouse needs a street)."""
        data = {
            "country": self.country,
            "region": self.region,
            "city": self.city,
            "postal_code": self.postal_code,
        }
        if self.line1 is not None:
            data["line1"] = self.line1
        return data

    def to_record(self) -> dict[str, Any]:
        """Every part, `line1` as null when unknown: for the order's own store and API."""
        return {**self.to_data(), "line1": self.line1}


@dataclass(frozen=True)
class LineRequest:
    """A line as a caller sends it; `unit_price` is validated when it enters an order."""

    sku: str
    quantity: int
    unit_price: Decimal | str | int


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    def to_data(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "quantity": self.quantity,
            "unit_price": money_text(self.unit_price),
        }


@dataclass(frozen=True)
class SkuQuantity:
    sku: str
    quantity: int

    def to_data(self) -> dict[str, Any]:
        return {"sku": self.sku, "quantity": self.quantity}


@dataclass(frozen=True)
class Discrepancy:
    """One finding of the entry checks (or a failed payment): why an order is held."""

    code: DiscrepancyCode
    field: str
    detail: str

    def to_data(self) -> dict[str, Any]:
        return {"code": self.code.value, "field": self.field, "detail": self.detail}


@dataclass(frozen=True)
class Correction:
    """One field replaced whole; `old` and `new` are its JSON-ready forms. `outcome` says whether
    it took effect: `applied`, `awaiting_warehouse` (sent to a warehouse that has not answered
    yet), `not_applied` (the warehouse had packed first) or `restored` (order-svc putting back
    what the warehouse ships after a correction was not applied)."""

    field: str
    old: Any
    new: Any
    reason: str
    outcome: str = "applied"

    def to_data(self) -> dict[str, Any]:
        """The event form (`order.corrected`)."""
        return {"field": self.field, "old": self.old, "new": self.new, "reason": self.reason}

    def to_record(self) -> dict[str, Any]:
        return {**self.to_data(), "outcome": self.outcome}


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    lines: tuple[OrderLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    issued_at: datetime


@dataclass(frozen=True)
class ReturnRequest:
    return_id: str
    lines: tuple[SkuQuantity, ...]
    reason: ReturnReason
    kind: ReturnKind
    requested_at: datetime


@dataclass(frozen=True)
class FulfillmentFact:
    """A fulfillment event as order-svc remembers it (status may or may not have moved)."""

    kind: str
    occurred_at: datetime
    shipment_id: str | None = None


@dataclass(frozen=True)
class ShipmentSummary:
    """What the order knows of one shipment, from the fulfillment topic."""

    shipment_id: str
    status: str
    status_at: datetime
    carrier: str | None = None
    tracking_number: str | None = None
    dispatched_lines: tuple[SkuQuantity, ...] = ()
    dispatched_at: datetime | None = None
    delivered_lines: tuple[SkuQuantity, ...] = ()
    delivered_at: datetime | None = None
    condition: str | None = None
