"""The fixed vocabulary of the engine: bucket slots, families of KPIs, failure reasons,
milestones and the label enums. Every bucket cell is a flat list of SLOT_COUNT integers."""

from __future__ import annotations

from .rules import KPI_NAMES
from .shared import shared

# --- bucket slots: numerator and denominator of every stored KPI, then failure reasons -------
STORED_KPIS: tuple[str, ...] = tuple(k for k in KPI_NAMES if k != "perfect_order_multiplicative")
NUM: dict[str, int] = {kpi: 2 * i for i, kpi in enumerate(STORED_KPIS)}
DEN: dict[str, int] = {kpi: 2 * i + 1 for i, kpi in enumerate(STORED_KPIS)}

PERFECT_N, PERFECT_D = NUM["perfect_order"], DEN["perfect_order"]
ON_TIME_N, ON_TIME_D = NUM["on_time_delivery"], DEN["on_time_delivery"]
IN_FULL_N, IN_FULL_D = NUM["in_full"], DEN["in_full"]
DAMAGE_N, DAMAGE_D = NUM["damage_free"], DEN["damage_free"]
DOCS_N, DOCS_D = NUM["documentation_accuracy"], DEN["documentation_accuracy"]
SHIP_N, SHIP_D = NUM["shipped_within_sla"], DEN["shipped_within_sla"]
ENTRY_N, ENTRY_D = NUM["order_entry_accuracy"], DEN["order_entry_accuracy"]
INVOICE_N, INVOICE_D = NUM["invoice_accuracy"], DEN["invoice_accuracy"]
FILL_N, FILL_D = NUM["first_time_fill_rate"], DEN["first_time_fill_rate"]
CSAT_N, CSAT_D = NUM["csat"], DEN["csat"]
ACK_N, ACK_D = NUM["issue_ack_within_sla"], DEN["issue_ack_within_sla"]
RESOLVE_N, RESOLVE_D = NUM["issue_resolved_within_sla"], DEN["issue_resolved_within_sla"]
TIMELY_N, TIMELY_D = NUM["notification_timeliness"], DEN["notification_timeliness"]
STATUS_N, STATUS_D = NUM["status_communication_accuracy"], DEN["status_communication_accuracy"]
# orders_per_labor_hour: orders first dispatched / labor seconds (reported in hours).
LABOR_N, LABOR_D = NUM["orders_per_labor_hour"], DEN["orders_per_labor_hour"]
# cost_per_order: cost in ten-thousandths of the currency / orders first dispatched.
COST_N, COST_D = NUM["cost_per_order"], DEN["cost_per_order"]

# The four components of the perfect order, in the order of kpis.md.
COMPONENTS: tuple[str, ...] = ("on_time", "in_full", "damage_free", "documentation")
COMPONENT_KPI: dict[str, str] = {
    "on_time": "on_time_delivery",
    "in_full": "in_full",
    "damage_free": "damage_free",
    "documentation": "documentation_accuracy",
}
COMPONENT_NUM: tuple[int, ...] = (ON_TIME_N, IN_FULL_N, DAMAGE_N, DOCS_N)
COMPONENT_DEN: tuple[int, ...] = (ON_TIME_D, IN_FULL_D, DAMAGE_D, DOCS_D)

# Failure reasons per component, highest priority first: a failed component counts once, under
# its first reason that applies (so a component's reasons sum to its failed orders).
REASONS: dict[str, tuple[str, ...]] = {
    "on_time": ("late",),
    "in_full": ("closed_short", "short_quantity"),
    "damage_free": ("damaged_at_delivery", "damaged_in_transit", "damage_issue", "damage_return"),
    "documentation": ("document_discrepancy", "documentation_issue", "billing_issue"),
}
_FIRST_REASON_SLOT = 2 * len(STORED_KPIS)
REASON_SLOT: dict[tuple[str, str], int] = {}
for _component in COMPONENTS:
    for _reason in REASONS[_component]:
        REASON_SLOT[(_component, _reason)] = _FIRST_REASON_SLOT + len(REASON_SLOT)
SLOT_COUNT = _FIRST_REASON_SLOT + len(REASON_SLOT)
# A contribution key packs bucket index and slot in one int: (bucket << SLOT_BITS) | slot.
SLOT_BITS = 6
SLOT_MASK = (1 << SLOT_BITS) - 1
assert SLOT_COUNT <= 1 << SLOT_BITS

# --- families: the parts of an order's contribution that are recomputed together ------------
F_ENTRY = 1  # order_entry_accuracy
F_DELIVERY = 2  # perfect order, components, invoice accuracy, failure reasons
F_SHIP = 4  # shipped_within_sla, first_time_fill_rate, dispatch counts and shipping cost
F_NOTIFY = 8  # notification_timeliness, status_communication_accuracy, notification cost
F_CSAT = 16
F_ISSUES = 32
F_LABELS = 64  # not a family: the order's group labels may have changed
FAMILIES: tuple[int, ...] = (F_ENTRY, F_DELIVERY, F_SHIP, F_NOTIFY, F_CSAT, F_ISSUES)
ALL_FAMILIES = F_ENTRY | F_DELIVERY | F_SHIP | F_NOTIFY | F_CSAT | F_ISSUES

# --- labels ----------------------------------------------------------------------------------
OTHER = "other"
TIERS = frozenset({"vip", "standard", "one_time"})
ORDER_CHANNELS = frozenset({"web", "mobile", "phone", "marketplace", "b2b"})
SERVICE_LEVELS = frozenset({"standard", "express", "next_day"})
NOTIFICATION_CHANNELS = frozenset({"email", "sms", "webhook", "call"})
ISSUE_CATEGORIES = frozenset(
    {"late", "damaged", "wrong_item", "missing_item", "documentation", "billing", "communication", "other"}
)
MILESTONES = frozenset(
    {
        "order_confirmed", "order_held", "payment_failed", "shipped", "out_for_delivery", "delayed",
        "delivery_failed", "delivered", "cancelled", "return_received", "survey", "issue_update",
    }
)
# Milestones that describe the order's status. `survey` and `issue_update` run beside the
# status, so a notification about them is never "stale" for status_communication_accuracy.
STATUS_MILESTONE_OF_TYPE: dict[str, str] = {
    "orderpulse.order.confirmed.v1": "order_confirmed",
    "orderpulse.order.held.v1": "order_held",
    "orderpulse.order.payment_failed.v1": "payment_failed",
    "orderpulse.shipment.dispatched.v1": "shipped",
    "orderpulse.shipment.out_for_delivery.v1": "out_for_delivery",
    "orderpulse.shipment.delayed.v1": "delayed",
    "orderpulse.shipment.delivery_failed.v1": "delivery_failed",
    "orderpulse.shipment.delivered.v1": "delivered",
    "orderpulse.fulfillment.completed.v1": "delivered",
    "orderpulse.order.cancelled.v1": "cancelled",
    "orderpulse.return.received.v1": "return_received",
}
STATUS_MILESTONES = frozenset(STATUS_MILESTONE_OF_TYPE.values())

ENTRY_HOLD_CODES = frozenset({"price_mismatch", "unknown_sku", "invalid_address", "quantity_limit"})


def enum_label(value: object, allowed: frozenset[str]) -> str:
    """The value when it is one of `allowed` (the one copy every order shares), else `other`."""
    return shared(value) if isinstance(value, str) and value in allowed else OTHER
