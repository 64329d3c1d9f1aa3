"""Handlers of the orderpulse.fulfillment topic: packing, dispatch, carrier scans, completion."""

from __future__ import annotations

from .catalog import F_DELIVERY, F_LABELS, F_SHIP
from .facts import OrderFacts
from .ingest_common import IngestContext, add_milestone, append_fact, offer_promise, required_text
from .shared import same_as, shared
from .values import optional_money, optional_time_ms, sku_quantities


def on_fulfillment_created(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    candidate = (t, ev["id"], shared(data.get("warehouse_id")))
    if o.fulfillment_wh is None or candidate[:2] < o.fulfillment_wh[:2]:
        o.fulfillment_wh = candidate
    return F_LABELS


def on_packed(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    shipment_id = str(data.get("shipment_id") or data.get("fulfillment_id") or "")
    kinds = tuple(
        str(d.get("kind", "other")) if isinstance(d, dict) else "other"
        for d in data.get("document_discrepancies") or ()
    )
    append_fact(o, "packs", (t, ev["id"], shipment_id, kinds))
    return F_DELIVERY


def on_dispatched(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    shipment_id = required_text(data, "shipment_id")
    units = sku_quantities(data.get("lines") or [])
    cost = optional_money(data.get("shipping_cost"), "shipping_cost")
    promise = o.promise
    promised = None if promise is not None and promise[0] < 2 else optional_time_ms(data.get("promised_by"), "promised_by")
    if o.dispatches is None:
        o.dispatches = {}
    known = o.dispatches.get(shipment_id)
    units = same_as(units, None if known is None else known[4], *(d[4] for d in o.dispatches.values()))
    record = (t, ev["id"], shared(data.get("warehouse_id")), shared(data.get("carrier")), units, cost)
    if known is None or record[:2] < known[:2]:
        o.dispatches[shipment_id] = record
    if promised is not None:
        offer_promise(o, (2, t, ev["id"], shared(ev["type"]), promised))
    return F_SHIP | F_DELIVERY | F_LABELS | add_milestone(o, t, shared(ev["type"]))


def on_shipment_exception(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    if data.get("reason") != "damaged_in_transit":
        return 0
    append_fact(o, "damage", (t, ev["id"], shared(ev["type"]), "damaged_in_transit"))
    return F_DELIVERY


def on_shipment_delivered(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    units = sku_quantities(data["lines"]) if data.get("lines") else None
    shipment_id = str(data.get("shipment_id") or ev["id"])
    if data.get("condition") == "damaged":
        append_fact(o, "damage", (t, ev["id"], shared(ev["type"]), "damaged_at_delivery"))
    if units is not None:
        if o.delivered_lines is None:
            o.delivered_lines = {}
        dispatch = (o.dispatches or {}).get(shipment_id)
        o.delivered_lines[shipment_id] = same_as(units, None if dispatch is None else dispatch[4])
    return F_DELIVERY | add_milestone(o, t, shared(ev["type"]))


def on_fulfillment_completed(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    delivered_text = data.get("delivered_at")
    delivered = None if delivered_text == ev["time"] else optional_time_ms(delivered_text, "delivered_at")
    units = sku_quantities(data["lines_delivered"], "lines_delivered") if "lines_delivered" in data else None
    if units is not None:
        units = same_as(units, *(d[4] for d in (o.dispatches or {}).values()), *(o.delivered_lines or {}).values())
    record = (t if delivered is None else delivered, ev["id"], t, units, data.get("closed_short") is True)
    if o.completed is None or (t, ev["id"]) > (o.completed[2], o.completed[1]):
        o.completed = record
    return F_DELIVERY | add_milestone(o, t, shared(ev["type"]))
