"""JSON-ready views of stock, fulfillments, shipments and records: what the API answers with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fulfillment_svc.domain.backorders import Allocation
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.shipment import Shipment
from fulfillment_svc.domain.stock import Stock
from fulfillment_svc.domain.values import format_amount, format_time
from fulfillment_svc.service_layer.ports import ReceivedReturn, RecordedShift


def _time(moment: Any) -> str | None:
    return None if moment is None else format_time(moment)


def _quantities(quantities: Mapping[str, int]) -> list[dict[str, Any]]:
    return [{"sku": sku, "quantity": quantity} for sku, quantity in sorted(quantities.items()) if quantity]


def stock_view(row: Stock) -> dict[str, Any]:
    return {
        "warehouse_id": row.warehouse_id,
        "sku": row.sku,
        "on_hand": row.on_hand,
        "reserved": row.reserved,
        "available": row.available,
    }


def allocations_view(allocations: Iterable[Allocation]) -> list[dict[str, Any]]:
    return [{"fulfillment_id": a.fulfillment_id, "sku": a.sku, "quantity": a.quantity} for a in allocations]


def shipment_view(shipment: Shipment) -> dict[str, Any]:
    return {
        "shipment_id": shipment.shipment_id,
        "status": shipment.status,
        "lines": [line.to_data() for line in shipment.lines],
        "documents": [document.as_ref().to_data() for document in shipment.documents],
        "document_discrepancies": [d.to_data() for d in shipment.document_discrepancies],
        "packed_at": _time(shipment.packed_at),
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "dispatched_at": _time(shipment.dispatched_at),
        "dispatched_with_override": shipment.dispatched_with_override,
        "eta": _time(shipment.eta),
        "delivered_at": _time(shipment.delivered_at),
        "condition": shipment.condition,
    }


def fulfillment_view(fulfillment: Fulfillment) -> dict[str, Any]:
    return {
        "fulfillment_id": fulfillment.fulfillment_id,
        "order_id": fulfillment.order_id,
        "warehouse_id": fulfillment.warehouse_id,
        "status": fulfillment.status,
        "lines": [line.to_data() for line in fulfillment.lines],
        "ship_deadline": _time(fulfillment.ship_deadline),
        "promised_by": _time(fulfillment.promised_by),
        "service_level": fulfillment.service_level,
        "ship_to": dict(fulfillment.ship_to),
        "reserved": _quantities(fulfillment.reserved),
        "backordered": _quantities(fulfillment.backordered),
        "shipments": [shipment_view(s) for s in fulfillment.shipments],
        "created_at": _time(fulfillment.created_at),
        "closed_reason": fulfillment.close_reason,
        "completed_at": _time(fulfillment.completed_at),
    }


def shift_view(shift: RecordedShift) -> dict[str, Any]:
    return {
        "warehouse_id": shift.warehouse_id,
        "shift_id": shift.shift_id,
        "start": format_time(shift.start),
        "end": format_time(shift.end),
        "staff": shift.staff,
        "hourly_cost": format_amount(shift.hourly_cost),
    }


def return_view(received: ReceivedReturn) -> dict[str, Any]:
    return {
        "return_id": received.return_id,
        "order_id": received.order_id,
        "fulfillment_id": received.fulfillment_id,
        "condition": received.condition,
        "lines": list(received.lines),
        "restocked": list(received.restocked),
        "occurred_at": format_time(received.occurred_at),
    }
