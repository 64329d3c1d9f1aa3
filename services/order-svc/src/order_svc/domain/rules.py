"""What placing and correcting an order need besides the command: merchant rules, the
promise-calendar port, and how currency, promise, entry time and corrections are derived."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from .customer import CatalogItem, Customer
from .errors import InvalidInput
from .times import require_aware
from .validation import currency_code
from .values import Address, Correction, OrderLine, ServiceLevel


class PromiseCalendar(Protocol):
    """The port `orderpulse.business_days.BusinessCalendar` fills; a protocol keeps the
    domain's imports inside the standard library."""

    def default_promised_by(
        self, placed: datetime, service_level: str, customer_timezone: str | None = None
    ) -> datetime: ...


@dataclass(frozen=True)
class OrderRules:
    """Merchant settings the aggregate needs.

    `tax_rate` (0.2 = 20 %) applies to the subtotal, rounded half up to the cent, and is
    fixed on the order when placed. `default_currency` is for orders none of whose items
    the catalog knows.
    """

    calendar: PromiseCalendar
    tax_rate: Decimal = Decimal("0")
    default_currency: str = "USD"


def order_currency(
    requested: str | None,
    skus: Iterable[str],
    catalog: Mapping[str, CatalogItem],
    default: str,
) -> str:
    """The currency asked for, else the catalog currency of the first known item."""
    if requested:
        return currency_code(requested, "currency")
    for sku in skus:
        if sku in catalog:
            return catalog[sku].currency
    return currency_code(default, "default_currency")


def promised_by(
    given: datetime | None,
    placed_at: datetime,
    service_level: ServiceLevel,
    customer: Customer,
    calendar: PromiseCalendar,
) -> datetime:
    """The storefront's promise if it sent one (it must lie after placement), else the
    calendar's default in the customer's timezone."""
    if given is None:
        return calendar.default_promised_by(placed_at, service_level.value, customer.timezone)
    given = require_aware(given, "promised_by")
    if given <= placed_at:
        raise InvalidInput("promised_by must be after the order is placed", field="promised_by")
    return given


def requested_at(given: datetime | None, placed_at: datetime) -> datetime | None:
    """When the customer began ordering; never after placement (entry time is not negative)."""
    if given is None:
        return None
    given = require_aware(given, "requested_at")
    if given > placed_at:
        raise InvalidInput("requested_at must not be after placed_at", field="requested_at")
    return given


def corrections_between(
    old_lines: tuple[OrderLine, ...],
    new_lines: tuple[OrderLine, ...],
    old_ship_to: Address,
    new_ship_to: Address,
    reason: str,
) -> tuple[Correction, ...]:
    """One correction per field that really changed, old and new whole and JSON-ready."""
    corrections = []
    if new_lines != old_lines:
        corrections.append(
            Correction(
                "lines",
                [line.to_data() for line in old_lines],
                [line.to_data() for line in new_lines],
                reason,
            )
        )
    if new_ship_to != old_ship_to:
        corrections.append(Correction("ship_to", old_ship_to.to_record(), new_ship_to.to_record(), reason))
    return tuple(corrections)
