"""The perfect-order verdicts of one delivered order, recomputed from its facts.

Each component check returns the evidence that failed it (empty: the component holds), so the
same code scores the buckets and explains a scorecard.
"""

from __future__ import annotations

from .catalog import COMPONENTS, REASONS
from .facts import OrderFacts

PACKED = "orderpulse.fulfillment.packed.v1"


def is_scorable(order: OrderFacts) -> bool:
    """Delivered (fulfillment.completed), placed, and not cancelled: in the delivery KPIs."""
    return (
        order.completed is not None
        and order.placed is not None
        and order.lines is not None
        and order.promise is not None
        and order.cancelled is None
    )


def delivered_units(order: OrderFacts) -> dict[str, int]:
    """Delivered quantity per sku: `lines_delivered` of completion, else the sum of deliveries."""
    completed = order.completed
    if completed is not None and completed[3] is not None:
        return completed[3]
    totals: dict[str, int] = {}
    for units in (order.delivered_lines or {}).values():
        for sku, quantity in units.items():
            totals[sku] = totals.get(sku, 0) + quantity
    return totals


def on_time_evidence(order: OrderFacts) -> list[tuple]:
    delivered_ms, event_id, time_ms = order.completed[0], order.completed[1], order.completed[2]
    if delivered_ms <= order.promise[4]:
        return []
    return [(time_ms, event_id, "orderpulse.fulfillment.completed.v1", "late")]


def in_full_evidence(order: OrderFacts) -> list[tuple]:
    completed = order.completed
    evidence = []
    if completed[4]:
        evidence.append((completed[2], completed[1], "orderpulse.fulfillment.completed.v1", "closed_short"))
    delivered = delivered_units(order)
    for sku, (quantity, _price) in order.lines.items():
        if delivered.get(sku, 0) < quantity:
            evidence.append((completed[2], completed[1], "orderpulse.fulfillment.completed.v1", "short_quantity"))
            break
    return evidence


def _within_claim_window(items: list | None, claim_end_ms: int, always: frozenset[str]) -> list[tuple]:
    if not items:
        return []
    return [item for item in items if item[3] in always or item[0] <= claim_end_ms]


_SHIPMENT_DAMAGE = frozenset({"damaged_at_delivery", "damaged_in_transit"})
_NO_REASON: frozenset[str] = frozenset()


def damage_evidence(order: OrderFacts, claim_window_ms: int) -> list[tuple]:
    """Damage seen by the carrier at any time; damage claims only within the claim window."""
    return _within_claim_window(order.damage, order.completed[0] + claim_window_ms, _SHIPMENT_DAMAGE)


def documents_used(order: OrderFacts) -> list[tuple]:
    """For every dispatched shipment, its last `fulfillment.packed` at or before the dispatch."""
    used = []
    packs = order.packs or ()
    for shipment_id, dispatch in sorted((order.dispatches or {}).items()):
        last = None
        for pack in packs:
            if pack[2] == shipment_id and pack[0] <= dispatch[0] and (last is None or pack[:2] > last[:2]):
                last = pack
        if last is not None:
            used.append(last)
    return used


def documentation_evidence(order: OrderFacts, claim_window_ms: int) -> list[tuple]:
    evidence = [
        (pack[0], pack[1], PACKED, "document_discrepancy") for pack in documents_used(order) if pack[3]
    ]
    evidence += _within_claim_window(order.doc_claims, order.completed[0] + claim_window_ms, _NO_REASON)
    return evidence


def component_evidence(order: OrderFacts, claim_window_ms: int) -> tuple[list, list, list, list]:
    return (
        on_time_evidence(order),
        in_full_evidence(order),
        damage_evidence(order, claim_window_ms),
        documentation_evidence(order, claim_window_ms),
    )


def primary_reason(component: str, evidence: list[tuple]) -> str | None:
    """The highest-priority reason among the evidence (None: the component holds)."""
    if not evidence:
        return None
    present = {item[3] for item in evidence}
    for reason in REASONS[component]:
        if reason in present:
            return reason
    return REASONS[component][-1]


def component_reasons(order: OrderFacts, claim_window_ms: int) -> tuple[str | None, ...]:
    """(on_time, in_full, damage_free, documentation): None where the component holds."""
    return tuple(
        primary_reason(component, evidence)
        for component, evidence in zip(COMPONENTS, component_evidence(order, claim_window_ms), strict=True)
    )


def fast_component_reasons(order: OrderFacts, claim_window_ms: int) -> tuple[str | None, ...]:
    """component_reasons, with the common cases (no evidence at all) decided without lists."""
    completed = order.completed
    on_time = None if completed[0] <= order.promise[4] else "late"
    if completed[4]:
        in_full = "closed_short"
    else:
        in_full = None
        delivered = delivered_units(order)
        for sku, line in order.lines.items():
            if delivered.get(sku, 0) < line[0]:
                in_full = "short_quantity"
                break
    damage = primary_reason("damage_free", damage_evidence(order, claim_window_ms)) if order.damage else None
    if order.doc_claims or any(pack[3] for pack in order.packs or ()):
        documentation = primary_reason("documentation", documentation_evidence(order, claim_window_ms))
    else:
        documentation = None
    return on_time, in_full, damage, documentation


def invoice_faults(order: OrderFacts, claim_window_ms: int) -> list[str] | None:
    """Why the last invoice is wrong ([] when right); None when the order was never invoiced."""
    if order.invoice is None:
        return None
    faults = []
    invoiced = {sku: line for sku, line in order.invoice[2].items() if line[0]}
    delivered = {sku: quantity for sku, quantity in delivered_units(order).items() if quantity}
    if {sku: line[0] for sku, line in invoiced.items()} != delivered:
        faults.append("quantity_mismatch")
    for sku, (_quantity, price) in invoiced.items():
        ordered = order.lines.get(sku)
        if ordered is None or ordered[1] != price:
            faults.append("price_mismatch")
            break
    claim_end_ms = order.completed[0] + claim_window_ms
    if any(item[3] == "billing_issue" and item[0] <= claim_end_ms for item in order.doc_claims or ()):
        faults.append("billing_issue")
    return faults
