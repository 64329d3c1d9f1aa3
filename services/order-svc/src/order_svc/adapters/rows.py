"""Rows <-> domain objects for orders and what hangs off them. JSONB values are JSON-ready:
money as decimal strings, times as RFC 3339 text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from order_svc.domain.confirmations import ConfirmationLedger, SentConfirmation
from order_svc.domain.model import Order
from order_svc.domain.progress import FulfillmentProgress
from order_svc.domain.status import OrderStatus
from order_svc.domain.values import (
    Address,
    Channel,
    Correction,
    Discrepancy,
    DiscrepancyCode,
    Invoice,
    OrderLine,
    PaymentStatus,
    ReturnKind,
    ReturnReason,
    ReturnRequest,
    ServiceLevel,
    ShipmentSummary,
    SkuQuantity,
    Tier,
)

Row = Mapping[str, Any]


def order_row(order: Order) -> dict[str, Any]:
    """The `orders` row of an order (everything but its lines, invoices, returns and shipments)."""
    progress = order.fulfillment
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "customer_tier": order.customer_tier.value,
        "channel": order.channel.value,
        "service_level": order.service_level.value,
        "currency": order.currency,
        "total": order.total,
        "ship_country": order.ship_to.country,
        "ship_region": order.ship_to.region,
        "ship_city": order.ship_to.city,
        "ship_postal_code": order.ship_to.postal_code,
        "ship_line1": order.ship_to.line1,
        "tax_rate": order.tax_rate,
        "placed_at": order.placed_at,
        "requested_at": order.requested_at,
        "promised_by": order.promised_by,
        "status": order.status.value,
        "payment_status": order.payment_status.value,
        "payment_reference": order.payment_reference,
        "authorized_amount": order.authorized_amount,
        "discrepancies": [d.to_data() for d in order.discrepancies],
        "entry_discrepancies": [d.to_data() for d in order.entry_discrepancies],
        "corrections": [c.to_record() for c in order.corrections],
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason,
        "last_line_number": order.last_line_number,
        "completed_lines": sku_lines_data(progress.completed_lines),
        "completed_at": progress.completed_at,
        "closed_short": progress.closed_short,
        "awaiting_confirmations": [confirmation_data(c) for c in order.confirmations.awaiting],
        "warehouse_copy": None if order.confirmations.applied is None else confirmation_data(order.confirmations.applied),
        "packed_at": order.confirmations.packed_at,
        "version": order.version,
    }


def line_rows(order_id: str, lines: Sequence[OrderLine]) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "position": position,
            "line_id": line.line_id,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        for position, line in enumerate(lines)
    ]


def invoice_row(order_id: str, position: int, invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.invoice_id,
        "order_id": order_id,
        "position": position,
        "lines": [line.to_data() for line in invoice.lines],
        "subtotal": invoice.subtotal,
        "tax": invoice.tax,
        "total": invoice.total,
        "currency": invoice.currency,
        "issued_at": invoice.issued_at,
    }


def return_row(order_id: str, position: int, request: ReturnRequest) -> dict[str, Any]:
    return {
        "return_id": request.return_id,
        "order_id": order_id,
        "position": position,
        "lines": sku_lines_data(request.lines),
        "reason": request.reason.value,
        "kind": request.kind.value,
        "requested_at": request.requested_at,
    }


def shipment_row(order_id: str, shipment: ShipmentSummary) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "shipment_id": shipment.shipment_id,
        "status": shipment.status,
        "status_at": shipment.status_at,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "dispatched_lines": sku_lines_data(shipment.dispatched_lines),
        "dispatched_at": shipment.dispatched_at,
        "delivered_lines": sku_lines_data(shipment.delivered_lines),
        "delivered_at": shipment.delivered_at,
        "condition": shipment.condition,
    }


def order_from_rows(
    row: Row,
    lines: Iterable[Row],
    invoices: Iterable[Row],
    returns: Iterable[Row],
    shipments: Iterable[Row],
) -> Order:
    """The aggregate as stored. Fulfillment facts themselves are not kept with the order (the
    timeline holds them): what they established — shipments, completion — is."""
    progress = FulfillmentProgress(
        shipments={shipment["shipment_id"]: shipment_from_row(shipment) for shipment in shipments},
        completed_lines=sku_lines(row["completed_lines"]),
        completed_at=row["completed_at"],
        closed_short=row["closed_short"],
    )
    return Order(
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        customer_tier=Tier(row["customer_tier"]),
        channel=Channel(row["channel"]),
        service_level=ServiceLevel(row["service_level"]),
        currency=row["currency"],
        ship_to=Address(
            country=row["ship_country"],
            region=row["ship_region"],
            city=row["ship_city"],
            postal_code=row["ship_postal_code"],
            line1=row["ship_line1"],
        ),
        lines=tuple(order_line(line) for line in lines),
        tax_rate=Decimal(row["tax_rate"]),
        promised_by=row["promised_by"],
        placed_at=row["placed_at"],
        requested_at=row["requested_at"],
        status=OrderStatus(row["status"]),
        payment_status=PaymentStatus(row["payment_status"]),
        payment_reference=row["payment_reference"],
        authorized_amount=row["authorized_amount"],
        discrepancies=discrepancies(row["discrepancies"]),
        entry_discrepancies=discrepancies(row["entry_discrepancies"]),
        corrections=[
            Correction(c["field"], c["old"], c["new"], c["reason"], c.get("outcome", "applied"))
            for c in row["corrections"]
        ],
        invoices=[invoice_from_row(invoice) for invoice in invoices],
        returns=[return_from_row(request) for request in returns],
        fulfillment=progress,
        confirmations=ConfirmationLedger(
            awaiting=[confirmation_from_data(c) for c in row["awaiting_confirmations"]],
            applied=None if row["warehouse_copy"] is None else confirmation_from_data(row["warehouse_copy"]),
            packed_at=row["packed_at"],
        ),
        cancelled_at=row["cancelled_at"],
        cancel_reason=row["cancel_reason"],
        last_line_number=row["last_line_number"],
        version=row["version"],
    )


def confirmation_data(sent: SentConfirmation) -> dict[str, Any]:
    return {
        "lines": [line.to_data() for line in sent.lines],
        "ship_to": sent.ship_to.to_record(),
        "at": sent.at.isoformat(),
        "corrections": sent.corrections,
    }


def confirmation_from_data(data: Row) -> SentConfirmation:
    return SentConfirmation(
        lines=tuple(order_line(line) for line in data["lines"]),
        ship_to=Address(**data["ship_to"]),
        at=datetime.fromisoformat(data["at"]),
        corrections=int(data["corrections"]),
    )


def order_line(data: Row) -> OrderLine:
    return OrderLine(
        line_id=data["line_id"], sku=data["sku"], quantity=int(data["quantity"]), unit_price=Decimal(data["unit_price"])
    )


def invoice_from_row(row: Row) -> Invoice:
    return Invoice(
        invoice_id=row["invoice_id"],
        lines=tuple(order_line(line) for line in row["lines"]),
        subtotal=row["subtotal"],
        tax=row["tax"],
        total=row["total"],
        currency=row["currency"],
        issued_at=row["issued_at"],
    )


def return_from_row(row: Row) -> ReturnRequest:
    return ReturnRequest(
        return_id=row["return_id"],
        lines=sku_lines(row["lines"]),
        reason=ReturnReason(row["reason"]),
        kind=ReturnKind(row["kind"]),
        requested_at=row["requested_at"],
    )


def shipment_from_row(row: Row) -> ShipmentSummary:
    return ShipmentSummary(
        shipment_id=row["shipment_id"],
        status=row["status"],
        status_at=row["status_at"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        dispatched_lines=sku_lines(row["dispatched_lines"]),
        dispatched_at=row["dispatched_at"],
        delivered_lines=sku_lines(row["delivered_lines"]),
        delivered_at=row["delivered_at"],
        condition=row["condition"],
    )


def discrepancies(data: Iterable[Row]) -> tuple[Discrepancy, ...]:
    return tuple(Discrepancy(DiscrepancyCode(d["code"]), d["field"], d["detail"]) for d in data)


def sku_lines(data: Iterable[Row]) -> tuple[SkuQuantity, ...]:
    return tuple(SkuQuantity(line["sku"], int(line["quantity"])) for line in data)


def sku_lines_data(lines: Iterable[SkuQuantity]) -> list[dict[str, Any]]:
    return [line.to_data() for line in lines]
