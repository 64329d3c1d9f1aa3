"""Value types and sub-models shared by the event payloads of several topics."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .limits import MONEY_PATTERN, QUANTITY_MAX

Money = Annotated[
    str,
    StringConstraints(pattern=MONEY_PATTERN),
    Field(description="decimal amount as a string, e.g. '129.90'; never a float"),
]
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 4217 currency code, e.g. 'EUR'"),
]
Id = Annotated[str, StringConstraints(min_length=1)]
Quantity = Annotated[int, Field(ge=1, le=QUANTITY_MAX)]

CustomerTier = Literal["vip", "standard", "one_time"]
ServiceLevel = Literal["standard", "express", "next_day"]
DiscrepancyCode = Literal[
    "price_mismatch", "unknown_sku", "invalid_address", "quantity_limit", "payment_failed", "payment_amount_mismatch"
]
Condition = Literal["intact", "damaged"]
DocumentKind = Literal["invoice", "packing_slip", "customs"]
NotificationChannel = Literal["email", "sms", "webhook", "call"]
Milestone = Literal[
    "order_confirmed",
    "order_held",
    "payment_failed",
    "shipped",
    "out_for_delivery",
    "delayed",
    "delivery_failed",
    "delivered",
    "cancelled",
    "return_received",
    "survey",
    "issue_update",
]


class EventData(BaseModel):
    """Base of every event's `data`: immutable, and unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Line(EventData):
    """One order line with its agreed unit price."""

    line_id: Id
    sku: Id
    quantity: Quantity
    unit_price: Money


class SkuQuantity(EventData):
    """A quantity of one SKU (packed, delivered, returned); zero is allowed for tallies."""

    sku: Id
    quantity: Annotated[int, Field(ge=0, le=QUANTITY_MAX)]


class Address(EventData):
    """A delivery address; `country` is an ISO 3166-1 alpha-2 code once the order is confirmed.

    An order held for `invalid_address` carries the address as the customer gave it, so a missing
    or malformed country is there as given (empty when missing) until a correction fixes it."""

    country: Annotated[str, StringConstraints(max_length=200)]
    region: str
    city: str
    postal_code: str
    line1: str | None = None


class Discrepancy(EventData):
    """A problem found in an order: which check failed, on which field, and why."""

    code: DiscrepancyCode
    field: str
    detail: str


class Correction(EventData):
    """A change made to an order after entry; `old` and `new` are any JSON value."""

    field: str
    old: Any
    new: Any
    reason: str


class Document(EventData):
    """A shipping document put in a parcel."""

    kind: DocumentKind
    ref: str


class DocumentDiscrepancy(EventData):
    """A problem with a parcel's documents (missing, wrong or unreadable)."""

    kind: str
    detail: str


class Aspects(EventData):
    """Per-aspect ratings of a survey answer, each 1–5 and each optional."""

    accuracy: Annotated[int, Field(ge=1, le=5)] | None = None
    timeliness: Annotated[int, Field(ge=1, le=5)] | None = None
    communication: Annotated[int, Field(ge=1, le=5)] | None = None
