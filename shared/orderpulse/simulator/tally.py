"""What the simulator did, order by order, as the services confirmed it (standard library only).

The runner records facts here only after a service accepted them, with the event times it sent
and what the answers said (promise, discrepancies, backorders). `measures.py` turns the records
into the KPIs of kpis.md, so they can be set beside kpi-svc's figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

MONEY_SCALE = 10_000  # money in ten-thousandths, as kpi-svc sums it


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms(moment: datetime) -> int:
    """Epoch milliseconds, exactly (times are sent and stored with millisecond precision)."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def money(amount: Decimal | str) -> int:
    return int((Decimal(amount) * MONEY_SCALE).to_integral_value())


@dataclass
class ShipmentRecord:
    shipment_id: str
    lines: dict[str, int]  # as last packed
    documents_ok: bool  # the last pack had no document discrepancies
    packed_ms: int
    dispatched_ms: int | None = None
    carrier: str | None = None
    shipping_cost: int = 0  # ten-thousandths
    delivered_ms: int | None = None
    delivered_lines: dict[str, int] | None = None
    condition: str | None = None
    damaged_in_transit: bool = False


@dataclass
class IssueRecord:
    """A support issue as feedback-svc answered it (dues) and as the simulator moved it on."""

    issue_id: str
    category: str
    opened_ms: int
    ack_due_ms: int
    resolve_due_ms: int
    acked_ms: int | None = None
    resolved_ms: int | None = None

    def acknowledged_ms(self) -> int | None:
        """Resolving an issue acknowledges it too (kpi-decisions.md)."""
        if self.acked_ms is None or (self.resolved_ms is not None and self.resolved_ms < self.acked_ms):
            return self.resolved_ms
        return self.acked_ms


@dataclass(frozen=True)
class NotificationRecord:
    """One notification notify-svc says it sent (GET /v1/orders/{id}/notifications)."""

    key: str  # notification_id, or what identifies it when the API gives none
    milestone: str
    channel: str
    trigger_ms: int
    sent_ms: int
    cost: int = 0  # ten-thousandths
    on_timeline: bool = True  # its notification.sent was on order-svc's timeline (with its cost) when read


@dataclass
class EarlierOrder:
    """An order of an earlier run whose messages notify-svc still held when this run began (an SMS
    waiting out its customer's quiet hours): only what it sent during this run counts here, as it
    does in kpi-svc's figures of this run (simulator/carry_over.py)."""

    order_id: str
    notifications: list[NotificationRecord] = field(default_factory=list)  # sent since this run began
    milestones: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class OrderRecord:
    index: int
    order_id: str
    tier: str
    channel: str
    service_level: str
    placed_ms: int
    promised_ms: int
    ship_deadline_ms: int
    ordered: dict[str, int]
    status: str  # as order-svc answered at placing; the runner moves it on
    entry_fault: bool = False  # placed with an entry discrepancy, held for one, or corrected
    corrected: bool = False
    payment_failed: bool = False
    warehouse: str | None = None
    fulfillment_id: str | None = None
    backordered_units: int = 0
    shipments: dict[str, ShipmentRecord] = field(default_factory=dict)
    closed_ms: int | None = None
    cancelled_ms: int | None = None
    damage_claims_ms: list[int] = field(default_factory=list)  # returns requested as damaged
    returns: int = 0
    live: bool = False
    fresh: bool = False  # a step of it was sent within a day of its event time (notify-svc may have told the customer)
    issues: dict[str, IssueRecord] = field(default_factory=dict)
    responses: list[tuple[int, int]] = field(default_factory=list)  # (answered ms, csat)
    notifications: list[NotificationRecord] = field(default_factory=list)  # read at the end of the run
    milestones: list[tuple[int, str]] = field(default_factory=list)  # (event ms, status milestone), read with them

    def claims(self, *categories: str) -> list[int]:
        """When issues of these categories were opened."""
        return [issue.opened_ms for issue in self.issues.values() if issue.category in categories]

    # --- what fulfillment-svc concludes --------------------------------------------------
    def delivered_units(self) -> dict[str, int]:
        totals: Counter = Counter()
        for shipment in self.shipments.values():
            if shipment.delivered_ms is not None:
                totals.update(shipment.delivered_lines if shipment.delivered_lines is not None else shipment.lines)
        return dict(totals)

    def completion(self) -> tuple[int, bool] | None:
        """(delivered_at ms, closed_short) once fulfillment.completed holds; None before (or cancelled)."""
        if self.cancelled_ms is not None:
            return None
        deliveries = [s.delivered_ms for s in self.shipments.values() if s.delivered_ms is not None]
        delivered = self.delivered_units()
        if all(delivered.get(sku, 0) >= quantity for sku, quantity in self.ordered.items()):
            return (max(deliveries), False) if deliveries else None
        in_transit = any(s.dispatched_ms is not None and s.delivered_ms is None for s in self.shipments.values())
        if self.closed_ms is not None and not in_transit:
            return (max(deliveries) if deliveries else self.closed_ms), True
        return None

    def first_dispatch(self) -> ShipmentRecord | None:
        dispatched = [s for s in self.shipments.values() if s.dispatched_ms is not None]
        return min(dispatched, key=lambda s: (s.dispatched_ms, s.shipment_id)) if dispatched else None

    # --- the four components, on a completed order ---------------------------------------
    def on_time(self, delivered_ms: int) -> bool:
        return delivered_ms <= self.promised_ms

    def in_full(self, closed_short: bool) -> bool:
        delivered = self.delivered_units()
        return not closed_short and all(delivered.get(sku, 0) >= q for sku, q in self.ordered.items())

    def damage_free(self, delivered_ms: int, claim_window_ms: int) -> bool:
        for shipment in self.shipments.values():
            if shipment.condition == "damaged" or shipment.damaged_in_transit:
                return False
        claims = self.damage_claims_ms + self.claims("damaged")
        return not any(claim <= delivered_ms + claim_window_ms for claim in claims)

    def documentation(self, delivered_ms: int, claim_window_ms: int) -> bool:
        """Clean documents in every dispatched parcel, and no documentation or billing issue in the claim window."""
        if any(claim <= delivered_ms + claim_window_ms for claim in self.claims("documentation", "billing")):
            return False
        return all(s.documents_ok for s in self.shipments.values() if s.dispatched_ms is not None)

    def invoice_accurate(self, delivered_ms: int, claim_window_ms: int) -> bool:
        """The invoice in force lists the ordered lines (after corrections) at the ordered prices,
        and no billing issue was opened in the claim window."""
        if any(claim <= delivered_ms + claim_window_ms for claim in self.claims("billing")):
            return False
        invoiced = {sku: q for sku, q in self.ordered.items() if q}
        delivered = {sku: q for sku, q in self.delivered_units().items() if q}
        return invoiced == delivered

    def expected_status(self) -> str:
        """The status order-svc should show once it has followed every fulfillment event."""
        if self.cancelled_ms is not None:
            return "cancelled"
        if self.completion() is not None:
            return "delivered"
        delivered, dispatched = self.delivered_units(), Counter()
        for shipment in self.shipments.values():
            if shipment.dispatched_ms is not None:
                dispatched.update(shipment.lines)
        if dispatched:
            if all(delivered.get(sku, 0) >= q for sku, q in self.ordered.items()):
                return "delivered"
            if all(dispatched.get(sku, 0) >= q for sku, q in self.ordered.items()):
                return "shipped"
            return "partially_shipped"
        if self.fulfillment_id is not None:
            return "in_fulfillment"
        return self.status


@dataclass(frozen=True)
class ShiftRecord:
    warehouse: str
    shift_id: str
    start_ms: int
    end_ms: int
    staff: int
    hourly_cost: int  # ten-thousandths

    @property
    def labor_s(self) -> int:
        return max(0, self.end_ms - self.start_ms) * self.staff // 1000

    @property
    def cost(self) -> int:
        return round(max(0, self.end_ms - self.start_ms) * self.staff * self.hourly_cost / 3_600_000)


@dataclass
class Tally:
    orders: dict[int, OrderRecord] = field(default_factory=dict)  # by story index
    shifts: list[ShiftRecord] = field(default_factory=list)
    events: Counter = field(default_factory=Counter)  # what happened, by kind (for the summary)
    stories_started: int = 0  # orders placed
    stories_finished: int = 0
    stories_aborted: int = 0  # ended early by an error (placed or not)
    in_flight: int = 0  # orders placed whose story is not over yet
    earlier: dict[str, EarlierOrder] = field(default_factory=dict)  # earlier runs' orders, by id (carry_over.py)

    def add(self, record: OrderRecord) -> None:
        self.orders[record.index] = record

    def count(self, kind: str, n: int = 1) -> None:
        self.events[kind] += n

    def delivered(self) -> int:
        return sum(1 for order in self.orders.values() if order.completion() is not None)
