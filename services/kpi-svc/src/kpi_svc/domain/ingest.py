"""From one event to the facts of its order: one handler per event type.

Every handler reads and checks all it needs first and only then changes the facts, so an
InvalidEvent leaves the order untouched. Facts only accumulate, and every "which one wins"
choice (earliest dispatch, latest invoice, ...) compares event time then event id, so the
facts do not depend on arrival order. A handler returns the families it made dirty.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .business_days import BusinessCalendar, promised_by_default
from .catalog import (
    ENTRY_HOLD_CODES, F_CSAT, F_DELIVERY, F_ENTRY, F_ISSUES, F_LABELS, F_NOTIFY, F_SHIP,
    ISSUE_CATEGORIES, MILESTONES, NOTIFICATION_CHANNELS, ORDER_CHANNELS, SERVICE_LEVELS,
    STATUS_MILESTONE_OF_TYPE, TIERS, enum_label,
)
from .facts import BREACH_ACK, BREACH_RESOLVE, IX_ACK, IX_ACK_ID, IX_BREACHED, IX_OPENED, IX_RESOLVED
from .facts import IX_RESOLVED_ID, OrderFacts, new_issue
from .values import (
    InvalidEvent, ms_to_datetime, optional_money, optional_time_ms, parse_time_ms, priced_lines,
    sku_quantities,
)

P = "orderpulse."
_HOUR_MS = 3_600_000


class IngestContext(Protocol):
    tz: ZoneInfo
    holidays: frozenset[date]
    calendar: BusinessCalendar
    ack_ms: int
    resolve_ms: int
    observations: list


def _text(data: dict, field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"data.{field}: required")
    return value


def _milestone(order: OrderFacts, time_ms: int, etype: str) -> int:
    milestone = STATUS_MILESTONE_OF_TYPE[etype]
    if order.milestones is None:
        order.milestones = []
    order.milestones.append((time_ms, milestone))
    return F_NOTIFY


def _append(order: OrderFacts, attribute: str, item: tuple) -> None:
    items = getattr(order, attribute)
    if items is None:
        setattr(order, attribute, [item])
    else:
        items.append(item)


def _offer_lines(order: OrderFacts, key: tuple, lines: dict) -> None:
    if order.lines_key is None or key > order.lines_key:
        order.lines_key, order.lines = key, lines


def _offer_promise(order: OrderFacts, candidate: tuple) -> None:
    if order.promise is None or candidate < order.promise:
        order.promise = candidate


def on_order_placed(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    eid, etype = ev["id"], ev["type"]
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
        _append(o, "entry_faults", (t, eid, etype, "entry_discrepancy"))
    _offer_lines(o, (t, 0, eid, etype), lines)
    _offer_promise(o, promise)
    if first and requested is not None:
        ctx.observations.append(("entry_seconds", channel, (t - requested) / 1000))
    return F_ENTRY | F_DELIVERY | F_SHIP | F_LABELS


def on_order_held(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    discrepancies = data.get("discrepancies") or ()
    codes = sorted({d.get("code") for d in discrepancies if isinstance(d, dict)} & ENTRY_HOLD_CODES)
    if codes:
        _append(o, "entry_faults", (t, ev["id"], ev["type"], "held_" + "+".join(codes)))
    return F_ENTRY | _milestone(o, t, ev["type"])


def on_order_corrected(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    new_lines = None
    for correction in data.get("corrections") or ():
        if isinstance(correction, dict) and correction.get("field") == "lines":
            new_lines = priced_lines(correction.get("new"), "corrections.new")
    _append(o, "entry_faults", (t, ev["id"], ev["type"], "corrected"))
    if new_lines is None:
        return F_ENTRY
    _offer_lines(o, (t, 1, ev["id"], ev["type"]), new_lines)
    return F_ENTRY | F_DELIVERY | F_SHIP


def on_order_confirmed(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    lines = priced_lines(data["lines"]) if data.get("lines") else None
    # a confirmation's promise (rank 1) never beats the order's own (rank 0): skip parsing it then
    promised = None if o.promise is not None and o.promise[0] == 0 else optional_time_ms(data.get("promised_by"), "promised_by")
    if lines is not None:
        _offer_lines(o, (t, 2, ev["id"], ev["type"]), lines)
    if promised is not None:
        _offer_promise(o, (1, t, ev["id"], ev["type"], promised))
    return F_DELIVERY | F_SHIP | _milestone(o, t, ev["type"])


def on_status_only(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    return _milestone(o, t, ev["type"])


def on_order_invoiced(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    lines = priced_lines(data.get("lines"))
    if o.invoice is None or (t, ev["id"]) > o.invoice[:2]:
        o.invoice = (t, ev["id"], lines)
    return F_DELIVERY


def on_order_cancelled(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    if o.cancelled is None or (t, ev["id"]) < o.cancelled:
        o.cancelled = (t, ev["id"])
    return F_DELIVERY | F_SHIP | _milestone(o, t, ev["type"])


def on_return_requested(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    if data.get("reason") != "damaged":
        return 0
    _append(o, "damage", (t, ev["id"], ev["type"], "damage_return"))
    return F_DELIVERY


def on_fulfillment_created(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    candidate = (t, ev["id"], data.get("warehouse_id"))
    if o.fulfillment_wh is None or candidate[:2] < o.fulfillment_wh[:2]:
        o.fulfillment_wh = candidate
    return F_LABELS


def on_packed(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    shipment_id = data.get("shipment_id") or data.get("fulfillment_id") or ""
    kinds = tuple(
        str(d.get("kind", "other")) if isinstance(d, dict) else "other"
        for d in data.get("document_discrepancies") or ()
    )
    _append(o, "packs", (t, ev["id"], shipment_id, kinds))
    return F_DELIVERY


def on_dispatched(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    shipment_id = _text(data, "shipment_id")
    units = sku_quantities(data.get("lines") or [])
    cost = optional_money(data.get("shipping_cost"), "shipping_cost")
    promise = o.promise
    promised = None if promise is not None and promise[0] < 2 else optional_time_ms(data.get("promised_by"), "promised_by")
    record = (t, ev["id"], data.get("warehouse_id"), data.get("carrier"), units, cost)
    if o.dispatches is None:
        o.dispatches = {}
    known = o.dispatches.get(shipment_id)
    if known is None or record[:2] < known[:2]:
        o.dispatches[shipment_id] = record
    if promised is not None:
        _offer_promise(o, (2, t, ev["id"], ev["type"], promised))
    return F_SHIP | F_DELIVERY | F_LABELS | _milestone(o, t, ev["type"])


def on_shipment_exception(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    if data.get("reason") != "damaged_in_transit":
        return 0
    _append(o, "damage", (t, ev["id"], ev["type"], "damaged_in_transit"))
    return F_DELIVERY


def on_shipment_delivered(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    units = sku_quantities(data["lines"]) if data.get("lines") else None
    if data.get("condition") == "damaged":
        _append(o, "damage", (t, ev["id"], ev["type"], "damaged_at_delivery"))
    if units is not None:
        if o.delivered_lines is None:
            o.delivered_lines = {}
        o.delivered_lines[data.get("shipment_id") or ev["id"]] = units
    return F_DELIVERY | _milestone(o, t, ev["type"])


def on_fulfillment_completed(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    delivered_text = data.get("delivered_at")
    delivered = None if delivered_text == ev["time"] else optional_time_ms(delivered_text, "delivered_at")
    units = sku_quantities(data["lines_delivered"], "lines_delivered") if "lines_delivered" in data else None
    record = (t if delivered is None else delivered, ev["id"], t, units, data.get("closed_short") is True)
    if o.completed is None or (t, ev["id"]) > (o.completed[2], o.completed[1]):
        o.completed = record
    return F_DELIVERY | _milestone(o, t, ev["type"])


def on_notification_sent(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    notification_id = data.get("notification_id") or ev["id"]
    sent_text = data.get("sent_at")
    sent = t if sent_text is None or sent_text == ev["time"] else parse_time_ms(sent_text, "sent_at")
    trigger = parse_time_ms(data.get("trigger_time"), "trigger_time")
    milestone = enum_label(data.get("milestone"), MILESTONES)
    channel = enum_label(data.get("channel"), NOTIFICATION_CHANNELS)
    cost = optional_money(data.get("unit_cost"), "unit_cost")
    record = (sent, trigger, milestone, channel, cost, ev["id"])
    if o.notifications is None:
        o.notifications = {}
    known = o.notifications.get(notification_id)
    if known is None:
        ctx.observations.append(("notification_latency_seconds", channel, milestone, (sent - trigger) / 1000))
    if known is None or (sent, ev["id"]) < (known[0], known[5]):
        o.notifications[notification_id] = record
    return F_NOTIFY


def on_feedback_received(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    csat = data.get("csat")
    if isinstance(csat, bool) or not isinstance(csat, int) or not 1 <= csat <= 5:
        raise InvalidEvent(f"data.csat: expected 1-5, got {csat!r}")
    survey_id = data.get("survey_id") or ev["id"]
    if o.responses is None:
        o.responses = {}
    known = o.responses.get(survey_id)
    if known is None:
        ctx.observations.append(("survey_response", str(csat)))
    if known is None or (t, ev["id"]) < known[:2]:
        o.responses[survey_id] = (t, ev["id"], csat)
    return F_CSAT


_CLAIM_OF_CATEGORY = {"damaged": "damage", "documentation": "doc_claims", "billing": "doc_claims"}
_CLAIM_REASON = {"damaged": "damage_issue", "documentation": "documentation_issue", "billing": "billing_issue"}


def _issue(o: OrderFacts, issue_id: str) -> list:
    if o.issues is None:
        o.issues = {}
    record = o.issues.get(issue_id)
    if record is None:
        record = o.issues[issue_id] = new_issue()
    return record


def on_issue_opened(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    issue_id = _text(data, "issue_id")
    category = enum_label(data.get("category"), ISSUE_CATEGORIES)
    ack_due = optional_time_ms(data.get("ack_due"), "ack_due")
    resolve_due = optional_time_ms(data.get("resolve_due"), "resolve_due")
    record = _issue(o, issue_id)
    if record[IX_OPENED] is None or t < record[IX_OPENED]:
        record[0:5] = [
            t,
            t + ctx.ack_ms if ack_due is None else ack_due,
            t + ctx.resolve_ms if resolve_due is None else resolve_due,
            category,
            ev["id"],
        ]
    claim = _CLAIM_OF_CATEGORY.get(category)
    if claim is None:
        return F_ISSUES
    _append(o, claim, (t, ev["id"], ev["type"], _CLAIM_REASON[category]))
    return F_ISSUES | F_DELIVERY


def _issue_step(time_ix: int, id_ix: int) -> Callable[..., int]:
    def handler(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
        record = _issue(o, _text(data, "issue_id"))
        if record[time_ix] is None or t < record[time_ix]:
            record[time_ix], record[id_ix] = t, ev["id"]
        return F_ISSUES

    return handler


def on_issue_sla_breached(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    issue_id = _text(data, "issue_id")
    flag = {"ack": BREACH_ACK, "resolve": BREACH_RESOLVE}.get(data.get("clock"))
    if flag is None:
        raise InvalidEvent(f"data.clock: expected ack or resolve, got {data.get('clock')!r}")
    _issue(o, issue_id)[IX_BREACHED] |= flag
    return F_ISSUES


def on_nothing(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    """A known event of an order that no KPI reads (deduplicated all the same)."""
    return 0


Handler = Callable[[OrderFacts, dict, dict, int, Any], int]

HANDLERS: dict[str, Handler] = {
    P + "order.placed.v1": on_order_placed,
    P + "order.held.v1": on_order_held,
    P + "order.corrected.v1": on_order_corrected,
    P + "order.released.v1": on_nothing,
    P + "order.payment_authorized.v1": on_nothing,
    P + "order.payment_failed.v1": on_status_only,
    P + "order.confirmed.v1": on_order_confirmed,
    P + "order.invoiced.v1": on_order_invoiced,
    P + "order.cancelled.v1": on_order_cancelled,
    P + "return.requested.v1": on_return_requested,
    P + "fulfillment.created.v1": on_fulfillment_created,
    P + "inventory.backordered.v1": on_nothing,
    P + "fulfillment.packed.v1": on_packed,
    P + "shipment.dispatched.v1": on_dispatched,
    P + "shipment.in_transit.v1": on_nothing,
    P + "shipment.out_for_delivery.v1": on_status_only,
    P + "shipment.delayed.v1": on_status_only,
    P + "shipment.delivery_failed.v1": on_status_only,
    P + "shipment.exception.v1": on_shipment_exception,
    P + "shipment.delivered.v1": on_shipment_delivered,
    P + "fulfillment.completed.v1": on_fulfillment_completed,
    P + "return.received.v1": on_status_only,
    P + "notification.sent.v1": on_notification_sent,
    P + "notification.failed.v1": on_nothing,
    P + "notification.suppressed.v1": on_nothing,
    P + "courtesy_call.scheduled.v1": on_nothing,
    P + "courtesy_call.completed.v1": on_nothing,
    P + "survey.requested.v1": on_nothing,
    P + "feedback.received.v1": on_feedback_received,
    P + "issue.opened.v1": on_issue_opened,
    P + "issue.acknowledged.v1": _issue_step(IX_ACK, IX_ACK_ID),
    P + "issue.resolved.v1": _issue_step(IX_RESOLVED, IX_RESOLVED_ID),
    P + "issue.sla_breached.v1": on_issue_sla_breached,
}

SHIFT_TYPE = P + "labor.shift_recorded.v1"
# Known, but about no order of this partition: nothing to compute.
ORDERLESS_TYPES = frozenset({P + "customer.upserted.v1"})
