"""Builders for the events and invoices an `Order` records, from its current state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from . import events as ev
from .values import Invoice

if TYPE_CHECKING:
    from .model import Order


def placed(order: Order) -> ev.OrderPlaced:
    return ev.OrderPlaced(
        occurred_at=order.placed_at,
        order_id=order.order_id,
        customer_id=order.customer_id,
        customer_tier=order.customer_tier,
        channel=order.channel,
        lines=order.lines,
        currency=order.currency,
        total=order.total,
        ship_to=order.ship_to,
        service_level=order.service_level,
        promised_by=order.promised_by,
        requested_at=order.requested_at,
        entry_discrepancies=order.entry_discrepancies,
    )


def payment_authorized(order: Order, at: datetime, amount: Decimal, reference: str) -> ev.PaymentAuthorized:
    return ev.PaymentAuthorized(
        occurred_at=at,
        order_id=order.order_id,
        amount=amount,
        currency=order.currency,
        reference=reference,
    )


def confirmed(order: Order, at: datetime) -> ev.OrderConfirmed:
    return ev.OrderConfirmed(
        occurred_at=at,
        order_id=order.order_id,
        lines=order.lines,
        ship_to=order.ship_to,
        service_level=order.service_level,
        promised_by=order.promised_by,
        placed_at=order.placed_at,
    )


def invoice(order: Order, invoice_id: str, at: datetime) -> Invoice:
    """An invoice for the order's lines as they stand, at its tax rate."""
    return Invoice(
        invoice_id=invoice_id,
        lines=order.lines,
        subtotal=order.subtotal,
        tax=order.tax,
        total=order.total,
        currency=order.currency,
        issued_at=at,
    )


def invoiced(order_id: str, issued: Invoice) -> ev.OrderInvoiced:
    return ev.OrderInvoiced(
        occurred_at=issued.issued_at,
        order_id=order_id,
        invoice_id=issued.invoice_id,
        lines=issued.lines,
        subtotal=issued.subtotal,
        tax=issued.tax,
        total=issued.total,
        currency=issued.currency,
    )
