"""Domain objects <-> the JSON kept in the `state` columns (plain JSON types only: text times, text money).

Times keep their microseconds (`isoformat`), so a loaded aggregate equals the one saved.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fulfillment_svc.domain.documents import Discrepancy, Document
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.shipment import RecordedScan, Shipment
from fulfillment_svc.domain.values import OrderLine, SkuQuantity

DEFAULT_SERVICE_LEVEL = "standard"  # what `Fulfillment` and `order.confirmed` take when none is given


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _sku_lines(lines: tuple[SkuQuantity, ...]) -> list[dict[str, Any]]:
    return [{"sku": line.sku, "quantity": line.quantity} for line in lines]


def _parse_sku_lines(data: list[dict[str, Any]]) -> tuple[SkuQuantity, ...]:
    return tuple(SkuQuantity(line["sku"], line["quantity"]) for line in data)


def order_lines_to_json(lines: tuple[OrderLine, ...]) -> list[dict[str, Any]]:
    return [line.to_data() for line in lines]


def order_lines_from_json(data: list[dict[str, Any]]) -> tuple[OrderLine, ...]:
    return tuple(OrderLine(d["line_id"], d["sku"], d["quantity"], Decimal(d["unit_price"])) for d in data)


def fulfillment_state(fulfillment: Fulfillment) -> dict[str, Any]:
    """What the `fulfillments.state` column holds (shipments live in their own table), compact: a key
    at its empty value (`{}`, `[]`, null, false, the standard service level) is left out, and
    `fulfillment_from_row` reads it back as that value.

    Building the `jsonb` of keys that hold nothing for almost every fulfillment was a third of the
    new fulfillments' insert; leaving them out saved ~5.5 µs of PostgreSQL's and ~2.4 µs of the
    consumer's CPU an event (docs/benchmarks.md, `fulcons6`). The release before this one (main at edb9122)
    writes every key and already reads missing keys, so a rolling update from it runs two readers
    that both take this form (expand, then contract: docs/fulfillment-decisions.md)."""
    state: dict[str, Any] = {
        "lines": order_lines_to_json(fulfillment.lines),
        "ship_to": dict(fulfillment.ship_to),
        "reserved": dict(fulfillment.reserved),
    }
    if fulfillment.service_level != DEFAULT_SERVICE_LEVEL:
        state["service_level"] = fulfillment.service_level
    if fulfillment.backordered:
        state["backordered"] = dict(fulfillment.backordered)
    if fulfillment.returned:
        state["returned"] = dict(fulfillment.returned)
    if fulfillment.received_return_ids:
        state["received_return_ids"] = sorted(fulfillment.received_return_ids)
    if fulfillment.cancelled_at is not None:
        state["cancelled_at"] = fulfillment.cancelled_at.isoformat()
    if fulfillment.cancel_reason is not None:
        state["cancel_reason"] = fulfillment.cancel_reason
    if fulfillment.close_requested_at is not None:
        state["close_requested_at"] = fulfillment.close_requested_at.isoformat()
    if fulfillment.close_reason is not None:
        state["close_reason"] = fulfillment.close_reason
    if fulfillment.completed_at is not None:
        state["completed_at"] = fulfillment.completed_at.isoformat()
    if fulfillment.closed_short:
        state["closed_short"] = True
    return state


def fulfillment_from_row(row: Any, shipments: list[Shipment]) -> Fulfillment:
    state = row.state
    get = state.get  # a key left out is at its empty value (`fulfillment_state`)
    return Fulfillment(
        fulfillment_id=row.fulfillment_id,
        order_id=row.order_id,
        warehouse_id=row.warehouse_id,
        lines=order_lines_from_json(state["lines"]),
        promised_by=row.promised_by,
        ship_deadline=row.ship_deadline,
        created_at=row.created_at,
        service_level=get("service_level", DEFAULT_SERVICE_LEVEL),
        ship_to=dict(state["ship_to"]),
        reserved=dict(state["reserved"]),
        backordered=dict(get("backordered") or {}),
        shipments=shipments,
        returned=dict(get("returned") or {}),
        received_return_ids=set(get("received_return_ids") or ()),
        cancelled_at=_parse_time(get("cancelled_at")),
        cancel_reason=get("cancel_reason"),
        close_requested_at=_parse_time(get("close_requested_at")),
        close_reason=get("close_reason"),
        completed_at=_parse_time(get("completed_at")),
        closed_short=get("closed_short", False),
    )


def shipment_state(shipment: Shipment, position: int) -> dict[str, Any]:
    """What the `shipments.state` column holds; `position` keeps the fulfillment's order of packages."""
    return {
        "position": position,
        "lines": _sku_lines(shipment.lines),
        "documents": [
            {"kind": d.kind, "ref": d.ref, "lines": _sku_lines(d.lines), "total": _money(d.total)}
            for d in shipment.documents
        ],
        "document_discrepancies": [d.to_data() for d in shipment.document_discrepancies],
        "packed_at": _time(shipment.packed_at),
        "dispatched_at": _time(shipment.dispatched_at),
        "dispatched_with_override": shipment.dispatched_with_override,
        "shipping_cost": _money(shipment.shipping_cost),
        "dispatch_eta": _time(shipment.dispatch_eta),
        "delivered_lines": _sku_lines(shipment.delivered_lines),
        "condition": shipment.condition,
        "delivered_at": _time(shipment.delivered_at),
        "scans": [
            {
                "event_id": s.event_id,
                "status": s.status,
                "occurred_at": _time(s.occurred_at),
                "applied": s.applied,
                "eta": _time(s.eta),
                "reason": s.reason,
            }
            for s in shipment.scans
        ],
    }


def shipment_from_row(row: Any) -> tuple[int, Shipment]:
    state = row.state
    shipment = Shipment(
        shipment_id=row.shipment_id,
        fulfillment_id=row.fulfillment_id,
        order_id=row.order_id,
        lines=_parse_sku_lines(state["lines"]),
        documents=tuple(
            Document(
                d["kind"],
                d["ref"],
                _parse_sku_lines(d["lines"]),
                None if d["total"] is None else Decimal(d["total"]),
            )
            for d in state["documents"]
        ),
        document_discrepancies=tuple(Discrepancy(d["kind"], d["detail"]) for d in state["document_discrepancies"]),
        packed_at=_parse_time(state["packed_at"]),
        status=row.status,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        dispatched_at=_parse_time(state["dispatched_at"]),
        dispatched_with_override=state["dispatched_with_override"],
        shipping_cost=None if state["shipping_cost"] is None else Decimal(state["shipping_cost"]),
        dispatch_eta=_parse_time(state["dispatch_eta"]),
        delivered_lines=_parse_sku_lines(state["delivered_lines"]),
        condition=state["condition"],
        delivered_at=_parse_time(state["delivered_at"]),
        scans=tuple(
            RecordedScan(
                s["event_id"], s["status"], _parse_time(s["occurred_at"]), s["applied"], _parse_time(s["eta"]), s["reason"]
            )
            for s in state["scans"]
        ),
    )
    return state["position"], shipment
