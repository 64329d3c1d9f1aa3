"""Commands: what callers ask order-svc to do (api.md request shapes), as plain values.

Entry points build these from requests; enumerations stay plain strings here and are
validated when the aggregate executes the command, so a bad value names its field.
`occurred_at` is the caller's event time (defaults to now; at most 5 minutes ahead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .values import Address, LineRequest, SkuQuantity


class Command:
    pass


@dataclass(frozen=True)
class PlaceOrder(Command):
    """`currency` defaults to the catalog currency of the order's items (then the
    merchant's); `payment_reference` is the checkout authorization's reference, if any
    (`order.payment_authorized` then says `checkout`)."""

    customer_id: str
    lines: tuple[LineRequest, ...]
    ship_to: Address
    channel: str
    service_level: str
    payment_status: str = "authorized"
    promised_by: datetime | None = None
    requested_at: datetime | None = None
    placed_at: datetime | None = None
    currency: str | None = None
    payment_reference: str | None = None


@dataclass(frozen=True)
class CorrectOrder(Command):
    """Given fields replace the old ones whole; `None` leaves a field as it is."""

    order_id: str
    reason: str
    lines: tuple[LineRequest, ...] | None = None
    ship_to: Address | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class CancelOrder(Command):
    order_id: str
    reason: str
    cancelled_by: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RequestReturn(Command):
    order_id: str
    lines: tuple[SkuQuantity, ...]
    reason: str
    kind: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RecordPaymentResult(Command):
    """The payment provider's callback: `status` is `authorized` or `failed`."""

    order_id: str
    status: str
    amount: Decimal | str
    reference: str
    reason: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class UpsertCustomer(Command):
    customer_id: str
    tier: str
    name: str
    email: str
    phone: str
    locale: str = "en"
    timezone: str = "UTC"
    account_manager: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class UpsertCatalogItem(Command):
    sku: str
    name: str
    unit_price: Decimal | str
    currency: str
    max_quantity: int
