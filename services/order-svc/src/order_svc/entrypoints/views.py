"""Response bodies of order-svc's API, built from domain objects. Money is a decimal string,
times are RFC 3339 UTC with milliseconds — as in the events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer

from order_svc.domain import model
from order_svc.domain.model import CatalogItem, Order
from order_svc.domain.money import money_text
from order_svc.domain.times import format_time
from order_svc.domain.values import (
    Address,
    Correction,
    Discrepancy,
    Invoice,
    OrderLine,
    ReturnRequest,
    ShipmentSummary,
    SkuQuantity,
)
from order_svc.service_layer.ports import OrderSummary, TimelineEntry

Time = Annotated[datetime, PlainSerializer(format_time, return_type=str)]
Money = Annotated[Decimal, PlainSerializer(money_text, return_type=str)]


class Customer(BaseModel):
    """A customer as order-svc knows it (named as the resource, so OpenAPI tools match `customer_id` to it)."""

    customer_id: str
    tier: str
    name: str
    email: str
    phone: str
    locale: str
    timezone: str
    account_manager: str | None

    @classmethod
    def of(cls, customer: model.Customer) -> Customer:
        return cls(
            customer_id=customer.customer_id,
            tier=customer.tier.value,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            locale=customer.locale,
            timezone=customer.timezone,
            account_manager=customer.account_manager,
        )


class CatalogItemView(BaseModel):
    sku: str
    name: str
    unit_price: Money
    currency: str
    max_quantity: int

    @classmethod
    def of(cls, item: CatalogItem) -> CatalogItemView:
        return cls(
            sku=item.sku,
            name=item.name,
            unit_price=item.unit_price,
            currency=item.currency,
            max_quantity=item.max_quantity,
        )


class LineView(BaseModel):
    line_id: str
    sku: str
    quantity: int
    unit_price: Money

    @classmethod
    def of(cls, line: OrderLine) -> LineView:
        return cls(line_id=line.line_id, sku=line.sku, quantity=line.quantity, unit_price=line.unit_price)


class SkuQuantityView(BaseModel):
    sku: str
    quantity: int

    @classmethod
    def all(cls, lines: tuple[SkuQuantity, ...]) -> list[SkuQuantityView]:
        return [cls(sku=line.sku, quantity=line.quantity) for line in lines]


class AddressView(BaseModel):
    country: str
    region: str
    city: str
    postal_code: str
    line1: str | None

    @classmethod
    def of(cls, address: Address) -> AddressView:
        return cls(**address.to_record())


class DiscrepancyView(BaseModel):
    code: str = Field(description="price_mismatch, unknown_sku, invalid_address, quantity_limit or payment_failed")
    field: str = Field(description="the offending request field, e.g. lines[1].unit_price")
    detail: str

    @classmethod
    def all(cls, discrepancies: tuple[Discrepancy, ...]) -> list[DiscrepancyView]:
        return [cls(code=d.code.value, field=d.field, detail=d.detail) for d in discrepancies]


class CorrectionView(BaseModel):
    field: str
    old: Any
    new: Any
    reason: str
    outcome: str = Field(
        description="applied; awaiting_warehouse (sent to the warehouse, not yet answered); not_applied (the "
        "warehouse had packed first: the order ships as it was); restored (order-svc putting back what ships)"
    )

    @classmethod
    def of(cls, correction: Correction) -> CorrectionView:
        return cls(
            field=correction.field,
            old=correction.old,
            new=correction.new,
            reason=correction.reason,
            outcome=correction.outcome,
        )


class ShipmentView(BaseModel):
    shipment_id: str
    status: str = Field(description="the latest carrier scan by event time; `delivered` stays delivered")
    status_at: Time
    carrier: str | None
    tracking_number: str | None
    dispatched_at: Time | None
    dispatched_lines: list[SkuQuantityView]
    delivered_at: Time | None
    delivered_lines: list[SkuQuantityView]
    condition: str | None

    @classmethod
    def of(cls, shipment: ShipmentSummary) -> ShipmentView:
        return cls(
            shipment_id=shipment.shipment_id,
            status=shipment.status,
            status_at=shipment.status_at,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            dispatched_at=shipment.dispatched_at,
            dispatched_lines=SkuQuantityView.all(shipment.dispatched_lines),
            delivered_at=shipment.delivered_at,
            delivered_lines=SkuQuantityView.all(shipment.delivered_lines),
            condition=shipment.condition,
        )


class InvoiceView(BaseModel):
    invoice_id: str
    lines: list[LineView]
    subtotal: Money
    tax: Money
    total: Money
    currency: str
    issued_at: Time

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceView:
        return cls(
            invoice_id=invoice.invoice_id,
            lines=[LineView.of(line) for line in invoice.lines],
            subtotal=invoice.subtotal,
            tax=invoice.tax,
            total=invoice.total,
            currency=invoice.currency,
            issued_at=invoice.issued_at,
        )


class ReturnView(BaseModel):
    return_id: str
    order_id: str
    lines: list[SkuQuantityView]
    reason: str
    kind: str
    requested_at: Time

    @classmethod
    def of(cls, order_id: str, request: ReturnRequest) -> ReturnView:
        return cls(
            return_id=request.return_id,
            order_id=order_id,
            lines=SkuQuantityView.all(request.lines),
            reason=request.reason.value,
            kind=request.kind.value,
            requested_at=request.requested_at,
        )


class OrderView(BaseModel):
    """An order as it stands: status, lines, money, what holds it, shipments and the invoice in force."""

    order_id: str
    customer_id: str
    customer_tier: str
    status: str = Field(
        description="held, pending_payment, confirmed, in_fulfillment, partially_shipped, shipped, delivered or cancelled"
    )
    channel: str
    service_level: str
    payment_status: str
    placed_at: Time
    requested_at: Time | None
    promised_by: Time
    currency: str
    lines: list[LineView]
    subtotal: Money
    tax: Money
    total: Money
    ship_to: AddressView
    discrepancies: list[DiscrepancyView] = Field(description="what holds the order now (empty unless held)")
    entry_discrepancies: list[DiscrepancyView] = Field(description="what the entry checks found when it was placed")
    corrections: list[CorrectionView]
    shipments: list[ShipmentView]
    invoice: InvoiceView | None = Field(description="the invoice in force: the last one issued")
    returns: list[ReturnView]
    cancelled_at: Time | None
    cancel_reason: str | None

    @classmethod
    def of(cls, order: Order) -> OrderView:
        return cls(
            order_id=order.order_id,
            customer_id=order.customer_id,
            customer_tier=order.customer_tier.value,
            status=order.status.value,
            channel=order.channel.value,
            service_level=order.service_level.value,
            payment_status=order.payment_status.value,
            placed_at=order.placed_at,
            requested_at=order.requested_at,
            promised_by=order.promised_by,
            currency=order.currency,
            lines=[LineView.of(line) for line in order.lines],
            subtotal=order.subtotal,
            tax=order.tax,
            total=order.total,
            ship_to=AddressView.of(order.ship_to),
            discrepancies=DiscrepancyView.all(order.discrepancies),
            entry_discrepancies=DiscrepancyView.all(order.entry_discrepancies),
            corrections=[CorrectionView.of(correction) for correction in order.corrections],
            shipments=[ShipmentView.of(shipment) for shipment in order.shipments],
            invoice=None if order.invoice is None else InvoiceView.of(order.invoice),
            returns=[ReturnView.of(order.order_id, request) for request in order.returns],
            cancelled_at=order.cancelled_at,
            cancel_reason=order.cancel_reason,
        )


class OrderSummaryView(BaseModel):
    order_id: str
    status: str
    channel: str
    service_level: str
    placed_at: Time
    promised_by: Time
    currency: str
    total: Money

    @classmethod
    def of(cls, summary: OrderSummary) -> OrderSummaryView:
        return cls(**vars(summary))


class TimelineEntryView(BaseModel):
    event_id: str
    type: str = Field(description="the CloudEvents type, e.g. orderpulse.shipment.dispatched.v1")
    source: str = Field(description="the service that published it, e.g. /fulfillment-svc")
    occurred_at: Time = Field(description="event time")
    data: dict[str, Any]

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineEntryView:
        return cls(
            event_id=entry.event_id,
            type=entry.type,
            source=entry.source,
            occurred_at=entry.occurred_at,
            data=entry.data,
        )


class PaymentRecordedView(BaseModel):
    order_id: str
    status: str
    payment_status: str

    @classmethod
    def of(cls, order: Order) -> PaymentRecordedView:
        return cls(order_id=order.order_id, status=order.status.value, payment_status=order.payment_status.value)
