"""What one order adds to the window buckets, per family: {(bucket index, slot): value}.

Pure functions of the order's facts and the engine clock (deadlines that passed). The engine
diffs a family's new contribution against the one it added before and applies only the change,
which is how revisions and late events land in the right bucket.
"""

from __future__ import annotations

from .catalog import (
    ACK_D, ACK_N, COMPONENT_NUM, COMPONENTS, CSAT_D, CSAT_N, DAMAGE_D, DOCS_D, ENTRY_D, ENTRY_N,
    FILL_D, FILL_N, IN_FULL_D, INVOICE_D, INVOICE_N, LABOR_D, LABOR_N, COST_D, COST_N, ON_TIME_D,
    PERFECT_D, PERFECT_N, REASON_SLOT, RESOLVE_D, RESOLVE_N, SHIP_D, SHIP_N, STATUS_D, STATUS_MILESTONES,
    STATUS_N, TIMELY_D, TIMELY_N,
)
from .facts import (
    BREACH_ACK, BREACH_RESOLVE, IX_ACK, IX_ACK_DUE, IX_BREACHED, IX_OPENED, IX_RESOLVE_DUE, IX_RESOLVED,
    OrderFacts, ShiftFacts, first_dispatch,
)
from .verdicts import component_reasons, invoice_faults, is_scorable

Contribution = dict  # {(bucket index, slot): int}
EMPTY: Contribution = {}


def _add(out: Contribution, key: tuple, value: int) -> None:
    out[key] = out.get(key, 0) + value


def entry(order: OrderFacts, bucket_ms: int) -> Contribution:
    """order_entry_accuracy, at placed time."""
    if order.placed is None:
        return EMPTY
    bucket = order.placed[0] // bucket_ms
    if order.entry_faults:
        return {(bucket, ENTRY_D): 1}
    return {(bucket, ENTRY_D): 1, (bucket, ENTRY_N): 1}


def delivery(order: OrderFacts, bucket_ms: int, claim_window_ms: int) -> tuple[Contribution, tuple | None]:
    """Perfect order, its components with the failure reason, invoice accuracy: at delivered_at.

    Returns the contribution and the component reasons (None when the order is not scorable).
    """
    if not is_scorable(order):
        return EMPTY, None
    reasons = component_reasons(order, claim_window_ms)
    bucket = order.completed[0] // bucket_ms
    out = {
        (bucket, PERFECT_D): 1,
        (bucket, ON_TIME_D): 1,
        (bucket, IN_FULL_D): 1,
        (bucket, DAMAGE_D): 1,
        (bucket, DOCS_D): 1,
    }
    perfect = True
    for index, reason in enumerate(reasons):
        if reason is None:
            out[(bucket, COMPONENT_NUM[index])] = 1
        else:
            perfect = False
            out[(bucket, REASON_SLOT[(COMPONENTS[index], reason)])] = 1
    if perfect:
        out[(bucket, PERFECT_N)] = 1
    faults = invoice_faults(order, claim_window_ms)
    if faults is not None:
        out[(bucket, INVOICE_D)] = 1
        if not faults:
            out[(bucket, INVOICE_N)] = 1
    return out, reasons


def ship_verdict(order: OrderFacts, clock_ms: int) -> tuple[bool, int, str] | None:
    """shipped_within_sla of one order: (within, time of record, why) or None (not counted yet/at all)."""
    if order.placed is None or order.ship_deadline_ms is None:
        return None
    deadline = order.ship_deadline_ms
    first = first_dispatch(order)
    if first is not None and first[0] <= deadline:
        return True, first[0], "dispatched_by_deadline"
    cancelled = order.cancelled
    if cancelled is not None and cancelled[0] <= deadline:
        return None  # cancelled before the deadline: excluded
    if first is not None:
        return False, deadline, "dispatched_late"
    if cancelled is not None or clock_ms > deadline:
        return False, deadline, "deadline_passed_undispatched"
    return None


def ship(order: OrderFacts, bucket_ms: int, clock_ms: int) -> Contribution:
    """shipped_within_sla, first_time_fill_rate, orders first dispatched, shipping cost."""
    out: Contribution = {}
    verdict = ship_verdict(order, clock_ms)
    if verdict is not None:
        bucket = verdict[1] // bucket_ms
        out[(bucket, SHIP_D)] = 1
        if verdict[0]:
            out[(bucket, SHIP_N)] = 1
    first = first_dispatch(order)
    if first is None:
        return out
    bucket = first[0] // bucket_ms
    out[(bucket, LABOR_N)] = 1
    out[(bucket, COST_D)] = 1
    if order.lines is not None:
        ordered = shipped = 0
        units = first[4]
        for sku, (quantity, _price) in order.lines.items():
            ordered += quantity
            shipped += min(quantity, units.get(sku, 0))
        if ordered:
            out[(bucket, FILL_D)] = ordered
            if shipped:
                out[(bucket, FILL_N)] = shipped
    for dispatch in order.dispatches.values():
        if dispatch[5]:
            _add(out, (dispatch[0] // bucket_ms, COST_N), dispatch[5])
    return out


def status_accurate(order: OrderFacts, trigger_ms: int, sent_ms: int, milestone: str) -> bool:
    """No other status milestone happened after the trigger and before the notification was sent."""
    if milestone not in STATUS_MILESTONES:
        return True
    for time_ms, other in order.milestones or ():
        if trigger_ms < time_ms <= sent_ms and other != milestone:
            return False
    return True


def notify(order: OrderFacts, bucket_ms: int, timely_ms: int) -> Contribution:
    """notification_timeliness, status_communication_accuracy and notification cost, at sent_at."""
    out: Contribution = {}
    for sent, trigger, milestone, _channel, cost, _event_id in order.notifications.values():
        bucket = sent // bucket_ms
        _add(out, (bucket, TIMELY_D), 1)
        _add(out, (bucket, STATUS_D), 1)
        if sent - trigger <= timely_ms:
            _add(out, (bucket, TIMELY_N), 1)
        if status_accurate(order, trigger, sent, milestone):
            _add(out, (bucket, STATUS_N), 1)
        if cost:
            _add(out, (bucket, COST_N), cost)
    return out


def csat(order: OrderFacts, bucket_ms: int) -> Contribution:
    out: Contribution = {}
    for time_ms, _event_id, score in order.responses.values():
        bucket = time_ms // bucket_ms
        _add(out, (bucket, CSAT_D), 1)
        if score >= 4:
            _add(out, (bucket, CSAT_N), 1)
    return out


def issue_clock(record: list, clock_ms: int, done_ms: int | None, due_ix: int, flag: int) -> tuple[bool, int] | None:
    """(within SLA, time of record) of one issue clock, or None while it is still running."""
    due = record[due_ix]
    if done_ms is not None and done_ms <= due:
        return True, done_ms
    if done_ms is not None or record[IX_BREACHED] & flag or clock_ms > due:
        return False, due
    return None


def acknowledged_at(record: list) -> int | None:
    """Resolving an issue acknowledges it too."""
    ack, resolved = record[IX_ACK], record[IX_RESOLVED]
    if ack is None or (resolved is not None and resolved < ack):
        return resolved
    return ack


def issues(order: OrderFacts, bucket_ms: int, clock_ms: int) -> tuple[Contribution, list]:
    """Issue ack and resolve SLAs; also returns the breaches found: (issue_id, clock, category)."""
    out: Contribution = {}
    breaches = []
    for issue_id, record in order.issues.items():
        if record[IX_OPENED] is None:
            continue
        for name, due_ix, flag, done, num, den in (
            ("ack", IX_ACK_DUE, BREACH_ACK, acknowledged_at(record), ACK_N, ACK_D),
            ("resolve", IX_RESOLVE_DUE, BREACH_RESOLVE, record[IX_RESOLVED], RESOLVE_N, RESOLVE_D),
        ):
            verdict = issue_clock(record, clock_ms, done, due_ix, flag)
            if verdict is None:
                continue
            bucket = verdict[1] // bucket_ms
            _add(out, (bucket, den), 1)
            if verdict[0]:
                _add(out, (bucket, num), 1)
            else:
                breaches.append((issue_id, name, flag))
    return out, breaches


def shift(record: tuple, bucket_ms: int) -> Contribution:
    """Labor seconds (staff x duration) and labor cost of a shift, at its end."""
    _time_ms, _event_id, _warehouse, start_ms, end_ms, staff, hourly_cost = record
    duration_ms = max(0, end_ms - start_ms)
    bucket = end_ms // bucket_ms
    out = {(bucket, LABOR_D): duration_ms * staff // 1000}
    cost = round(duration_ms * staff * hourly_cost / 3_600_000)
    if cost:
        out[(bucket, COST_N)] = cost
    return out


def shift_contribution(shift_facts: ShiftFacts, bucket_ms: int) -> Contribution:
    return EMPTY if shift_facts.record is None else shift(shift_facts.record, bucket_ms)
