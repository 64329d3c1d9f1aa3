"""Customers and catalog items: the reference data orders are placed against."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .commands import UpsertCatalogItem, UpsertCustomer
from .errors import InvalidInput
from .events import CustomerUpserted, Event
from .money import parse_amount
from .times import event_time
from .validation import choice, currency_code, optional_text, quantity, required_text, timezone_name
from .values import Tier

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{3,23}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


@dataclass
class Customer:
    """A customer profile; `upsert` records `customer.upserted` when the profile changes."""

    customer_id: str
    tier: Tier
    name: str
    email: str
    phone: str
    locale: str = "en"
    timezone: str = "UTC"
    account_manager: str | None = None
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def upsert(cls, command: UpsertCustomer, existing: Customer | None, now: datetime) -> Customer:
        """The customer as `command` describes it; unchanged profiles record no event."""
        customer = cls(
            customer_id=required_text(command.customer_id, "customer_id"),
            tier=choice(Tier, command.tier, "tier"),
            name=required_text(command.name, "name"),
            email=_matching(command.email, _EMAIL, "email", required=True),
            phone=_matching(command.phone, _PHONE, "phone", required=True),
            locale=_matching(command.locale, _LOCALE, "locale") or "en",
            timezone=timezone_name(command.timezone, "timezone"),
            account_manager=optional_text(command.account_manager, "account_manager"),
        )
        occurred_at = event_time(command.occurred_at, now, "occurred_at")
        if existing is not None and existing == customer:
            return existing
        customer.events.append(
            CustomerUpserted(
                occurred_at=occurred_at,
                customer_id=customer.customer_id,
                tier=customer.tier.value,
                name=customer.name,
                email=customer.email,
                phone=customer.phone,
                locale=customer.locale,
                timezone=customer.timezone,
                account_manager=customer.account_manager,
            )
        )
        return customer


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    unit_price: Decimal
    currency: str
    max_quantity: int

    @classmethod
    def from_command(cls, command: UpsertCatalogItem) -> CatalogItem:
        return cls(
            sku=required_text(command.sku, "sku"),
            name=required_text(command.name, "name"),
            unit_price=parse_amount(command.unit_price, "unit_price", currency_code(command.currency, "currency")),
            currency=currency_code(command.currency, "currency"),
            max_quantity=quantity(command.max_quantity, "max_quantity"),
        )


def _matching(value: object, pattern: re.Pattern[str], field: str, required: bool = False) -> str | None:
    text = required_text(value, field) if required else optional_text(value, field)
    if text is not None and not pattern.match(text):
        # the value stays out of the message: it may be personal data, and messages get logged
        raise InvalidInput(f"{field} is not well formed", field=field)
    return text
