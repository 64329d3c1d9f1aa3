"""The customer-care KPIs of kpis.md from the tally: csat, the two issue clocks, notification
timeliness, status communication accuracy, and the notification part of cost per order
(standard library only; the same choices as docs/kpi-decisions.md where kpis.md is silent)."""

from __future__ import annotations

from collections.abc import Callable

from orderpulse.simulator.tally import IssueRecord, NotificationRecord, OrderRecord

TIMELY_MS = 5 * 60_000  # a notification sent within 5 minutes of its trigger is timely
# milestones that describe the order's status; survey and issue_update run beside it and are never stale
STATUS_MILESTONES = frozenset({
    "order_confirmed", "order_held", "payment_failed", "shipped", "out_for_delivery", "delayed",
    "delivery_failed", "delivered", "cancelled", "return_received",
})
# the event types (as in an order's timeline) that mark a status milestone
MILESTONE_OF_TYPE = {
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

Count = Callable[..., None]  # count(kpi, holds, weight=1, numerator=None)
def clock_verdict(done_ms: int | None, due_ms: int, clock_ms: int) -> tuple[bool, int] | None:
    """One issue clock: (within SLA, time of record), or None while it still runs.
    Done by the due time: success at the doing; done late, or the due passed: failure at the due."""
    if done_ms is not None and done_ms <= due_ms:
        return True, done_ms
    if done_ms is not None or clock_ms > due_ms:
        return False, due_ms
    return None


def issue_verdicts(issue: IssueRecord, clock_ms: int) -> dict[str, tuple[bool, int] | None]:
    return {
        "issue_ack_within_sla": clock_verdict(issue.acknowledged_ms(), issue.ack_due_ms, clock_ms),
        "issue_resolved_within_sla": clock_verdict(issue.resolved_ms, issue.resolve_due_ms, clock_ms),
    }


def status_accurate(milestones: list[tuple[int, str]], trigger_ms: int, sent_ms: int, milestone: str) -> bool:
    """No other status milestone of the order happened after the trigger and up to the sending."""
    if milestone not in STATUS_MILESTONES:
        return True
    return not any(trigger_ms < at <= sent_ms and other != milestone for at, other in milestones)


def count_care(order: OrderRecord, holds: Callable[[int], bool], clock_ms: int, count: Count) -> int:
    """Adds the order's csat, issue and notification figures inside the window (`holds`);
    returns the notification cost in the window (ten-thousandths) for cost per order."""
    for answered_ms, csat in order.responses:
        if holds(answered_ms):
            count("csat", csat >= 4)
    for issue in order.issues.values():
        for kpi, verdict in issue_verdicts(issue, clock_ms).items():
            if verdict is not None and holds(verdict[1]):
                count(kpi, verdict[0])
    return count_notifications(order.notifications, order.milestones, holds, count)


def count_notifications(notifications: list[NotificationRecord], milestones: list[tuple[int, str]],
                        holds: Callable[[int], bool], count: Count) -> int:
    """Adds the notifications sent inside the window to timeliness and status communication accuracy
    (`milestones`: the order's status milestones); returns their cost (ten-thousandths)."""
    cost = 0
    for note in notifications:
        if not holds(note.sent_ms):
            continue
        count("notification_timeliness", note.sent_ms - note.trigger_ms <= TIMELY_MS)
        count("status_communication_accuracy", status_accurate(milestones, note.trigger_ms, note.sent_ms, note.milestone))
        cost += note.cost
    return cost
