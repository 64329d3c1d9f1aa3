"""Every KPI of kpis.md, computed from the simulator's tally with its definitions (and the
choices docs/kpi-decisions.md made where kpis.md is silent), over kpi-svc's windows.

The customer-care KPIs (csat, issue clocks, notifications) are in care_measures.py; what
notify-svc sent is read through its API at the end of the run (docs/simulator.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from orderpulse.simulator.care_measures import count_care, count_notifications
from orderpulse.simulator.tally import MONEY_SCALE, OrderRecord, Tally

BUCKET_MS = 60_000
CLAIM_WINDOW_MS = 7 * 86_400_000
WINDOW_S = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
KNOWN_KPIS = (
    "perfect_order", "perfect_order_multiplicative", "on_time_delivery", "in_full", "damage_free",
    "documentation_accuracy", "shipped_within_sla", "order_entry_accuracy", "invoice_accuracy",
    "first_time_fill_rate", "orders_per_labor_hour", "cost_per_order", "csat", "issue_ack_within_sla",
    "issue_resolved_within_sla", "notification_timeliness", "status_communication_accuracy",
)
COMPONENTS = ("on_time_delivery", "in_full", "damage_free", "documentation_accuracy")


@dataclass(frozen=True)
class Window:
    """[start_ms, end_ms): the last W/1 min buckets, the newest holding `as_of` (as kpi-svc)."""

    name: str
    start_ms: int
    end_ms: int
    clock_ms: int

    @classmethod
    def ending(cls, name: str, as_of_ms: int) -> Window:
        newest = as_of_ms // BUCKET_MS
        return cls(name, (newest - WINDOW_S[name] // 60 + 1) * BUCKET_MS, (newest + 1) * BUCKET_MS, as_of_ms)

    def holds(self, moment_ms: int) -> bool:
        return self.start_ms <= moment_ms < self.end_ms


@dataclass(frozen=True)
class Measure:
    numerator: float
    denominator: float

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def ship_verdict(order: OrderRecord, clock_ms: int) -> tuple[bool, int] | None:
    """shipped_within_sla of one order: (within, time of record), or None (not counted)."""
    first = order.first_dispatch()
    deadline = order.ship_deadline_ms
    if first is not None and first.dispatched_ms <= deadline:
        return True, first.dispatched_ms
    if order.cancelled_ms is not None and order.cancelled_ms <= deadline:
        return None
    if first is not None or order.cancelled_ms is not None or clock_ms > deadline:
        return False, deadline
    return None


def measure(tally: Tally, window: Window, *, with_costs: bool = True) -> dict[str, Measure]:
    sums = {kpi: [0, 0] for kpi in KNOWN_KPIS if kpi != "perfect_order_multiplicative"}

    def count(kpi: str, holds: bool, weight: int = 1, numerator: int | None = None) -> None:
        sums[kpi][1] += weight
        sums[kpi][0] += (weight if holds else 0) if numerator is None else numerator

    for order in tally.orders.values():
        if window.holds(order.placed_ms):
            count("order_entry_accuracy", not order.entry_fault)
        verdict = ship_verdict(order, window.clock_ms)
        if verdict is not None and window.holds(verdict[1]):
            count("shipped_within_sla", verdict[0])
        first = order.first_dispatch()
        if first is not None and window.holds(first.dispatched_ms):
            ordered = sum(order.ordered.values())
            shipped = sum(min(first.lines.get(sku, 0), q) for sku, q in order.ordered.items())
            count("first_time_fill_rate", True, ordered, shipped)
            sums["orders_per_labor_hour"][0] += 1
            sums["cost_per_order"][1] += 1
        for shipment in order.shipments.values():
            if shipment.dispatched_ms is not None and window.holds(shipment.dispatched_ms):
                sums["cost_per_order"][0] += shipment.shipping_cost
        sums["cost_per_order"][0] += count_care(order, window.holds, window.clock_ms, count)
        completion = order.completion()
        if completion is None or not window.holds(completion[0]):
            continue
        delivered_ms, closed_short = completion
        verdicts = (order.on_time(delivered_ms), order.in_full(closed_short),
                    order.damage_free(delivered_ms, CLAIM_WINDOW_MS), order.documentation(delivered_ms, CLAIM_WINDOW_MS))
        for kpi, holds in zip(COMPONENTS, verdicts, strict=True):
            count(kpi, holds)
        count("perfect_order", all(verdicts))
        count("invoice_accuracy", order.invoice_accurate(delivered_ms, CLAIM_WINDOW_MS))
    for earlier in tally.earlier.values():  # earlier runs' messages sent during this one (carry_over.py)
        sums["cost_per_order"][0] += count_notifications(earlier.notifications, earlier.milestones, window.holds, count)
    for shift in tally.shifts:
        if window.holds(shift.end_ms):
            sums["orders_per_labor_hour"][1] += shift.labor_s
            sums["cost_per_order"][0] += shift.cost
    out = {kpi: Measure(*pair) for kpi, pair in sums.items()}
    out["orders_per_labor_hour"] = Measure(sums["orders_per_labor_hour"][0],
                                           round(sums["orders_per_labor_hour"][1] / 3600, 6))
    out["cost_per_order"] = Measure(sums["cost_per_order"][0] / MONEY_SCALE, sums["cost_per_order"][1])
    delivered = out["perfect_order"].denominator
    product = None
    if delivered:
        product = 1.0
        for kpi in COMPONENTS:
            product *= out[kpi].numerator / out[kpi].denominator
    out["perfect_order_multiplicative"] = Measure(0 if product is None else round(product * delivered, 6), delivered)
    if not with_costs:
        del out["cost_per_order"]
    return {kpi: out[kpi] for kpi in KNOWN_KPIS if kpi in out}
