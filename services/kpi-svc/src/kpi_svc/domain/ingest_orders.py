"""Handlers of the orderpulse.orders topic: placement, holds, corrections, invoices, cancellations."""

from __future__ import annotations

from .business_days import promised_by_default
from .catalog import (
    ENTRY_HOLD_CODES,
    F_DELIVERY,
    F_ENTRY,
    F_LABELS,
    F_SHIP,
    ORDER_CHANNELS,
    SERVICE_LEVELS,
    TIERS,
    enum_label,
)
from .facts import OrderFacts
from .ingest_common import IngestContext, add_milestone, append_fact, offer_lines, offer_promise
from .shared import same_as, shared
from .values import ms_to_datetime, optional_time_ms, priced_lines


def on_order_placed(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    eid, etype = ev["id"], shared(ev["type"])
    lines = priced_lines(data.get("lines", []))
    promised = optional_time_ms(data.get("promised_by"), "promised_by")
    requested = optional_time_ms(data.get("requested_at"), "requested_at")
    discrepancies = data.get("entry_discrepancies") or ()
    tier = enum_label(data.get("customer_tier"), TIERS)
    channel = enum_label(data.get("channel"), ORDER_CHANNELS)
    service_level = enum_label(data.get("service_level"), SERVICE_LEVELS)
    deadline = ctx.calendar.ship_deadline_ms(t)
    if promised is None:  # the order partition does not know the customer's timezone
        default = promised_by_default(ms_to_datetime(t), service_level, ctx.tz, ctx.holidays)
        promise = (3, t, eid, etype, round(default.timestamp() * 1000))
    else:
        promise = (0, t, eid, etype, promised)
    first = o.placed is None
    if first or (t, eid) < o.placed:
        o.placed, o.requested_ms, o.ship_deadline_ms = (t, eid), requested, deadline
        o.tier, o.channel, o.service_level = tier, channel, service_level
    if discrepancies:
        append_fact(o, "entry_faults", (t, eid, etype, "entry_discrepancy"))
    offer_lines(o, (t, 0, eid, etype), lines)
    offer_promise(o, promise)
    if first and requested is not None:
        ctx.observations.append(("entry_seconds", channel, (t - requested) / 1000))
    return F_ENTRY | F_DELIVERY | F_SHIP | F_LABELS


def on_order_held(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    discrepancies = data.get("discrepancies") or ()
    codes = sorted({d.get("code") for d in discrepancies if isinstance(d, dict)} & ENTRY_HOLD_CODES)
    if codes:
        append_fact(o, "entry_faults", (t, ev["id"], shared(ev["type"]), "held_" + "+".join(codes)))
    return F_ENTRY | add_milestone(o, t, shared(ev["type"]))


def on_order_corrected(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    new_lines = None
    for correction in data.get("corrections") or ():
        if isinstance(correction, dict) and correction.get("field") == "lines":
            new_lines = priced_lines(correction.get("new"), "corrections.new")
    append_fact(o, "entry_faults", (t, ev["id"], shared(ev["type"]), "corrected"))
    if new_lines is None:
        return F_ENTRY
    offer_lines(o, (t, 1, ev["id"], shared(ev["type"])), new_lines)
    return F_ENTRY | F_DELIVERY | F_SHIP


def on_order_confirmed(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    lines = priced_lines(data["lines"]) if data.get("lines") else None
    # a confirmation's promise (rank 1) never beats the order's own (rank 0): skip parsing it then
    promised = None if o.promise is not None and o.promise[0] == 0 else optional_time_ms(data.get("promised_by"), "promised_by")
    if lines is not None:
        offer_lines(o, (t, 2, ev["id"], shared(ev["type"])), lines)
    if promised is not None:
        offer_promise(o, (1, t, ev["id"], shared(ev["type"]), promised))
    return F_DELIVERY | F_SHIP | add_milestone(o, t, shared(ev["type"]))


def on_order_invoiced(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    lines = priced_lines(data.get("lines"))
    if o.invoice is None or (t, ev["id"]) > o.invoice[:2]:
        o.invoice = (t, ev["id"], same_as(lines, o.lines))
    return F_DELIVERY


def on_order_cancelled(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    if o.cancelled is None or (t, ev["id"]) < o.cancelled:
        o.cancelled = (t, ev["id"])
    return F_DELIVERY | F_SHIP | add_milestone(o, t, shared(ev["type"]))


def on_return_requested(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    if data.get("reason") != "damaged":
        return 0
    append_fact(o, "damage", (t, ev["id"], shared(ev["type"]), "damage_return"))
    return F_DELIVERY
