"""Request bodies of order-svc's API (api.md), with limits, and their translation into commands.

Shapes and limits are checked here (a 422 naming the field); business findings — unknown sku,
price, quantity limit, incomplete address — are the domain's and hold the order instead.
"""

from __future__ import annotations

from typing import Annotated, Literal

from orderpulse.http.bodies import RequestBody
from pydantic import AfterValidator, AwareDatetime, Field

from order_svc.domain import commands
from order_svc.domain.values import Address, LineRequest, SkuQuantity
from order_svc.service_layer.clock import to_milliseconds

MAX_LINES = 200

Id = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", examples=["cus_1042"]),
]
Sku = Annotated[str, Field(min_length=1, max_length=64, description="stock keeping unit", examples=["MUG-1"])]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Money = Annotated[
    str,
    Field(
        pattern=r"^\d{1,9}(\.\d{1,4})?$",
        description='a decimal amount as a JSON string, in the currency\'s minor units (ISO 4217): "12.50" USD, '
        '"1500" JPY, "2.125" KWD. A JSON number is refused: binary floats cannot hold money exactly',
        examples=["12.50"],
    ),
]
Quantity = Annotated[int, Field(ge=1, le=1_000_000)]
Time = Annotated[AwareDatetime, AfterValidator(to_milliseconds)]
OccurredAt = Annotated[
    Time | None,
    Field(description="when it happened (event time); defaults to now, at most 5 minutes in the future"),
]
AddressPart = Annotated[str | None, Field(max_length=200)]


Body = RequestBody  # unknown fields refused, no NUL in text (orderpulse.http.bodies)


class UpsertCustomerBody(Body):
    tier: Literal["vip", "standard", "one_time"]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(min_length=3, max_length=254)]
    phone: Annotated[str, Field(min_length=4, max_length=32)]
    locale: Annotated[str, Field(min_length=2, max_length=35, description="BCP 47, e.g. en-GB")] = "en"
    timezone: Annotated[str, Field(min_length=1, max_length=64, description="IANA name, e.g. Europe/Paris")] = "UTC"
    account_manager: Annotated[str | None, Field(max_length=100, description="who calls a vip customer")] = None
    occurred_at: OccurredAt = None

    def to_command(self, customer_id: str) -> commands.UpsertCustomer:
        return commands.UpsertCustomer(customer_id=customer_id, **self.model_dump())


class CatalogItemBody(Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    unit_price: Money
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code", examples=["USD"])]
    max_quantity: Annotated[
        Quantity,
        Field(
            description="most units of this sku one order may ask for, its lines of this sku added up "
            "(an order above it is held for quantity_limit)"
        ),
    ]

    def to_command(self, sku: str) -> commands.UpsertCatalogItem:
        return commands.UpsertCatalogItem(sku=sku, **self.model_dump())


class AddressBody(Body):
    """Missing parts are not refused: they hold the order for an address correction."""

    country: Annotated[AddressPart, Field(description="ISO 3166-1 alpha-2 code", examples=["US"])] = None
    region: AddressPart = None
    city: AddressPart = None
    postal_code: AddressPart = None
    line1: AddressPart = None

    def to_address(self) -> Address:
        return Address(
            country=self.country or "",
            region=self.region or "",
            city=self.city or "",
            postal_code=self.postal_code or "",
            line1=self.line1,
        )


class LineBody(Body):
    sku: Sku
    quantity: Quantity
    unit_price: Annotated[Money, Field(description="the price the customer was shown; checked against the catalog")]

    def to_line(self) -> LineRequest:
        return LineRequest(sku=self.sku, quantity=self.quantity, unit_price=self.unit_price)


class PlaceOrderBody(Body):
    customer_id: Id
    lines: Annotated[list[LineBody], Field(min_length=1, max_length=MAX_LINES)]
    ship_to: Annotated[
        AddressBody, Field(description="country, region, city, postal_code (and line1); incomplete holds the order")
    ] = AddressBody()
    channel: Literal["web", "mobile", "phone", "marketplace", "b2b"]
    service_level: Literal["standard", "express", "next_day"]
    payment_status: Annotated[
        Literal["authorized", "pending"],
        Field(
            description="`authorized` at checkout (confirmed at once) or `pending` (waits for the payments callback)"
        ),
    ] = "authorized"
    payment_reference: Annotated[
        str | None, Field(max_length=200, description="the checkout authorization's reference")
    ] = None
    currency: Annotated[
        str | None, Field(pattern=r"^[A-Za-z]{3}$", description="defaults to the catalog currency of the items")
    ] = None
    promised_by: Annotated[Time | None, Field(description="delivery promise; default from the service level")] = None
    requested_at: Annotated[Time | None, Field(description="when the customer began ordering")] = None
    placed_at: Annotated[Time | None, Field(description="for imports: when the order was placed; default now")] = None

    def to_command(self) -> commands.PlaceOrder:
        return commands.PlaceOrder(
            customer_id=self.customer_id,
            lines=tuple(line.to_line() for line in self.lines),
            ship_to=self.ship_to.to_address(),
            channel=self.channel,
            service_level=self.service_level,
            payment_status=self.payment_status,
            payment_reference=self.payment_reference,
            currency=self.currency,
            promised_by=self.promised_by,
            requested_at=self.requested_at,
            placed_at=self.placed_at,
        )


class CorrectOrderBody(Body):
    """Given fields replace the old ones whole; at least one of `lines` and `ship_to`."""

    lines: Annotated[list[LineBody] | None, Field(min_length=1, max_length=MAX_LINES)] = None
    ship_to: AddressBody | None = None
    reason: Text
    occurred_at: OccurredAt = None

    def to_command(self, order_id: str) -> commands.CorrectOrder:
        return commands.CorrectOrder(
            order_id=order_id,
            reason=self.reason,
            lines=None if self.lines is None else tuple(line.to_line() for line in self.lines),
            ship_to=None if self.ship_to is None else self.ship_to.to_address(),
            occurred_at=self.occurred_at,
        )


class CancelOrderBody(Body):
    reason: Text
    occurred_at: OccurredAt = None

    def to_command(self, order_id: str, cancelled_by: str) -> commands.CancelOrder:
        return commands.CancelOrder(
            order_id=order_id, reason=self.reason, cancelled_by=cancelled_by, occurred_at=self.occurred_at
        )


class SkuQuantityBody(Body):
    sku: Sku
    quantity: Quantity


class RequestReturnBody(Body):
    lines: Annotated[list[SkuQuantityBody], Field(min_length=1, max_length=MAX_LINES)]
    reason: Literal["damaged", "wrong_item", "missing_item", "not_as_described", "changed_mind"]
    kind: Literal["refund", "exchange"]
    occurred_at: OccurredAt = None

    def to_command(self, order_id: str) -> commands.RequestReturn:
        return commands.RequestReturn(
            order_id=order_id,
            lines=tuple(SkuQuantity(line.sku, line.quantity) for line in self.lines),
            reason=self.reason,
            kind=self.kind,
            occurred_at=self.occurred_at,
        )


class PaymentCallbackBody(Body):
    order_id: Id
    status: Literal["authorized", "failed"]
    amount: Money
    reference: Annotated[str, Field(min_length=1, max_length=200, description="the provider's payment reference")]
    reason: Annotated[str | None, Field(max_length=500, description="why a payment failed; default `declined`")] = None
    occurred_at: OccurredAt = None

    def to_command(self) -> commands.RecordPaymentResult:
        return commands.RecordPaymentResult(**self.model_dump())
