"""GET /v1/orders/{order_id}/scorecard: "why was order X not perfect?", from its facts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .catalog import COMPONENTS
from .contributions import acknowledged_at, issue_clock, ship_verdict, status_accurate
from .event_ids import count
from .facts import (
    BREACH_ACK,
    BREACH_RESOLVE,
    IX_ACK_DUE,
    IX_CATEGORY,
    IX_OPENED,
    IX_OPENED_ID,
    IX_RESOLVE_DUE,
    IX_RESOLVED,
    OrderFacts,
    first_dispatch,
)
from .values import format_ms
from .verdicts import component_evidence, delivered_units, documents_used, invoice_faults, is_scorable, primary_reason

if TYPE_CHECKING:
    from .engine import KpiEngine

PLACED = "orderpulse.order.placed.v1"
COMPLETED = "orderpulse.fulfillment.completed.v1"
DISPATCHED = "orderpulse.shipment.dispatched.v1"
PACKED = "orderpulse.fulfillment.packed.v1"
INVOICED = "orderpulse.order.invoiced.v1"


def _event(event_id: str | None, etype: str | None, time_ms: int | None, reason: str | None = None) -> dict:
    out = {"id": event_id, "type": etype, "time": format_ms(time_ms)}
    if reason is not None:
        out["reason"] = reason
    return out


def _evidence(items: list[tuple]) -> list[dict]:
    """Deciding events, oldest first (facts keep arrival order; the explanation must not)."""
    return [_event(event_id, etype, time_ms, reason) for time_ms, event_id, etype, reason in sorted(items)]


def _status(order: OrderFacts) -> str:
    if order.cancelled is not None:
        return "cancelled"
    if order.completed is not None:
        return "delivered"
    if order.dispatches:
        return "dispatched"
    return "placed" if order.placed is not None else "unknown"


def _facts(order: OrderFacts) -> dict:
    first = first_dispatch(order)
    promise = order.promise
    labels = order.labels or ("other",) * 5
    return {
        "status": _status(order),
        "placed_at": format_ms(order.placed[0]) if order.placed else None,
        "requested_at": format_ms(order.requested_ms),
        "promised_by": format_ms(promise[4]) if promise else None,
        "promise_source": None if promise is None else ("default" if promise[0] == 3 else promise[3]),
        "ship_deadline": format_ms(order.ship_deadline_ms),
        "first_dispatched_at": format_ms(first[0]) if first else None,
        "shipments": len(order.dispatches or {}),
        "delivered_at": format_ms(order.completed[0]) if order.completed else None,
        "closed_short": bool(order.completed and order.completed[4]),
        "cancelled_at": format_ms(order.cancelled[0]) if order.cancelled else None,
        "ordered": {sku: line[0] for sku, line in (order.lines or {}).items()},
        "delivered": dict(delivered_units(order)) if order.completed else {},
        "carrier": labels[0],
        "warehouse": labels[1],
        "tier": labels[2],
        "channel": labels[3],
        "service_level": labels[4],
        "events_applied": count(order.seen),
    }


def _components(order: OrderFacts, claim_window_ms: int) -> dict:
    if not is_scorable(order):
        why = "cancelled" if order.cancelled is not None else "not delivered yet"
        return {component: {"holds": None, "reason": why, "events": []} for component in COMPONENTS}
    completed = _event(order.completed[1], COMPLETED, order.completed[2])
    promise = order.promise
    lines_key = order.lines_key
    deciding_when_held = {
        "on_time": [completed, _event(promise[2], promise[3], promise[1])],
        "in_full": [completed, _event(lines_key[2], lines_key[3], lines_key[0])],
        "damage_free": [completed],
        "documentation": [_event(p[1], PACKED, p[0]) for p in documents_used(order)],
    }
    out = {}
    for component, evidence in zip(COMPONENTS, component_evidence(order, claim_window_ms), strict=True):
        reason = primary_reason(component, evidence)
        out[component] = {
            "holds": reason is None,
            "reason": reason,
            "events": _evidence(evidence) if evidence else deciding_when_held[component],
        }
    out["damage_free"]["claim_window_ends"] = format_ms(order.completed[0] + claim_window_ms)
    out["documentation"]["claim_window_ends"] = format_ms(order.completed[0] + claim_window_ms)
    return out


def _other_kpis(order: OrderFacts, engine: KpiEngine, claim_window_ms: int) -> dict:
    out: dict = {}
    faults = order.entry_faults or []
    out["order_entry_accuracy"] = (
        None if order.placed is None else {"holds": not faults, "events": _evidence(faults)}
    )
    verdict = ship_verdict(order, engine.clock_ms, first_dispatch(order))
    out["shipped_within_sla"] = None if verdict is None else {
        "holds": verdict[0], "at": format_ms(verdict[1]), "reason": verdict[2],
    }
    invoice = invoice_faults(order, claim_window_ms) if is_scorable(order) else None
    out["invoice_accuracy"] = None if invoice is None else {
        "holds": not invoice, "faults": invoice, "events": [_event(order.invoice[1], INVOICED, order.invoice[0])],
    }
    out["notifications"] = [
        {
            "milestone": milestone, "channel": channel, "sent_at": format_ms(sent),
            "latency_s": (sent - trigger) / 1000,
            "timely": sent - trigger <= engine.rules.notification_timely_s * 1000,
            "status_accurate": status_accurate(order, trigger, sent, milestone), "event_id": event_id,
        }
        for sent, trigger, milestone, channel, _cost, event_id in sorted((order.notifications or {}).values())
    ]
    out["csat"] = [
        {"csat": score, "at": format_ms(time_ms), "event_id": event_id}
        for time_ms, event_id, score in sorted((order.responses or {}).values())
    ]
    issues = []
    for issue_id, record in sorted((order.issues or {}).items()):
        if record[IX_OPENED] is None:
            continue
        ack = issue_clock(record, engine.clock_ms, acknowledged_at(record), IX_ACK_DUE, BREACH_ACK)
        resolve = issue_clock(record, engine.clock_ms, record[IX_RESOLVED], IX_RESOLVE_DUE, BREACH_RESOLVE)
        issues.append({
            "issue_id": issue_id, "category": record[IX_CATEGORY], "opened_event_id": record[IX_OPENED_ID],
            "opened_at": format_ms(record[IX_OPENED]),
            "ack_within_sla": None if ack is None else ack[0],
            "resolved_within_sla": None if resolve is None else resolve[0],
        })
    out["issues"] = issues
    return out


def build_scorecard(order: OrderFacts, engine: KpiEngine) -> dict:
    claim_window_ms = engine.rules.claim_window_s * 1000
    components = _components(order, claim_window_ms)
    holds = [part["holds"] for part in components.values()]
    return {
        "order_id": order.order_id,
        "facts": _facts(order),
        "perfect": None if None in holds else all(holds),
        "components": components,
        "kpis": _other_kpis(order, engine, claim_window_ms),
        "revisions": [
            {"component": c, "from": before, "to": after, "at": format_ms(at), "event_id": e, "event_type": t}
            for c, before, after, at, e, t in order.revisions or ()
        ],
    }
