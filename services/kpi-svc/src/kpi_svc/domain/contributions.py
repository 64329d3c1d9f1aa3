"""What one order adds to the window buckets, per family: {(bucket << SLOT_BITS) | slot: value}.

Pure functions of the order's facts and the engine clock (deadlines that passed). The engine
diffs a family's new contribution against the one it added before and applies only the change,
which is how revisions and late events land in the right bucket. Hot path: keep it lean.
"""

from __future__ import annotations

from .catalog import (
    ACK_D,
    ACK_N,
    COMPONENT_NUM,
    COMPONENTS,
    COST_D,
    COST_N,
    CSAT_D,
    CSAT_N,
    DAMAGE_D,
    DOCS_D,
    ENTRY_D,
    ENTRY_N,
    FILL_D,
    FILL_N,
    IN_FULL_D,
    INVOICE_D,
    INVOICE_N,
    LABOR_D,
    LABOR_N,
    ON_TIME_D,
    PERFECT_D,
    PERFECT_N,
    REASON_SLOT,
    RESOLVE_D,
    RESOLVE_N,
    SHIP_D,
    SHIP_N,
    SLOT_BITS,
    STATUS_D,
    STATUS_MILESTONES,
    STATUS_N,
    TIMELY_D,
    TIMELY_N,
)
from .facts import (
    BREACH_ACK,
    BREACH_RESOLVE,
    IX_ACK,
    IX_ACK_DUE,
    IX_BREACHED,
    IX_OPENED,
    IX_RESOLVE_DUE,
    IX_RESOLVED,
    OrderFacts,
    ShiftFacts,
)
from .verdicts import fast_component_reasons, invoice_faults, is_scorable

Contribution = dict  # {(bucket << SLOT_BITS) | slot: int}
EMPTY: Contribution = {}
B = SLOT_BITS
_REASON_SLOTS = tuple({reason: REASON_SLOT[(c, reason)] for (c2, reason) in REASON_SLOT if c2 == c} for c in COMPONENTS)


def entry(order: OrderFacts, bucket_ms: int) -> Contribution:
    """order_entry_accuracy, at placed time."""
    if order.placed is None:
        return EMPTY
    base = (order.placed[0] // bucket_ms) << B
    if order.entry_faults:
        return {base | ENTRY_D: 1}
    return {base | ENTRY_D: 1, base | ENTRY_N: 1}


def delivery(order: OrderFacts, bucket_ms: int, claim_window_ms: int) -> tuple[Contribution, tuple | None]:
    """Perfect order, its components with the failure reason, invoice accuracy: at delivered_at.

    Returns the contribution and the component reasons (None when the order is not scorable).
    """
    if not is_scorable(order):
        return EMPTY, None
    reasons = fast_component_reasons(order, claim_window_ms)
    base = (order.completed[0] // bucket_ms) << B
    out = {base | PERFECT_D: 1, base | ON_TIME_D: 1, base | IN_FULL_D: 1, base | DAMAGE_D: 1, base | DOCS_D: 1}
    perfect = True
    for index in range(4):
        reason = reasons[index]
        if reason is None:
            out[base | COMPONENT_NUM[index]] = 1
        else:
            perfect = False
            out[base | _REASON_SLOTS[index][reason]] = 1
    if perfect:
        out[base | PERFECT_N] = 1
    if order.invoice is not None:
        out[base | INVOICE_D] = 1
        if not invoice_faults(order, claim_window_ms):
            out[base | INVOICE_N] = 1
    return out, reasons


def ship_verdict(order: OrderFacts, clock_ms: int, first: tuple | None) -> tuple[bool, int, str] | None:
    """shipped_within_sla of one order: (within, time of record, why), or None (not counted)."""
    deadline = order.ship_deadline_ms
    if deadline is None:
        return None
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


def ship(order: OrderFacts, bucket_ms: int, clock_ms: int, first: tuple | None) -> Contribution:
    """shipped_within_sla, first_time_fill_rate, orders first dispatched, shipping cost."""
    out: Contribution = {}
    verdict = ship_verdict(order, clock_ms, first)
    if verdict is not None:
        base = (verdict[1] // bucket_ms) << B
        out[base | SHIP_D] = 1
        if verdict[0]:
            out[base | SHIP_N] = 1
    if first is None:
        return out
    base = (first[0] // bucket_ms) << B
    out[base | LABOR_N] = 1
    out[base | COST_D] = 1
    if order.lines is not None:
        ordered = shipped = 0
        units = first[4]
        for sku, line in order.lines.items():
            quantity = line[0]
            ordered += quantity
            sent = units.get(sku, 0)
            shipped += quantity if sent > quantity else sent
        if ordered:
            out[base | FILL_D] = ordered
            if shipped:
                out[base | FILL_N] = shipped
    for dispatch in order.dispatches.values():
        if dispatch[5]:
            key = ((dispatch[0] // bucket_ms) << B) | COST_N
            out[key] = out.get(key, 0) + dispatch[5]
    return out


def status_accurate(order: OrderFacts, trigger_ms: int, sent_ms: int, milestone: str) -> bool:
    """No other status milestone happened after the trigger and up to the sending."""
    if milestone not in STATUS_MILESTONES:
        return True
    for time_ms, other in order.milestones or ():
        if trigger_ms < time_ms <= sent_ms and other != milestone:
            return False
    return True


def notify(order: OrderFacts, bucket_ms: int, timely_ms: int) -> Contribution:
    """notification_timeliness, status_communication_accuracy and notification cost, at sent_at."""
    out: Contribution = {}
    get = out.get
    for sent, trigger, milestone, _channel, cost, _event_id in order.notifications.values():
        base = (sent // bucket_ms) << B
        out[base | TIMELY_D] = get(base | TIMELY_D, 0) + 1
        out[base | STATUS_D] = get(base | STATUS_D, 0) + 1
        if sent - trigger <= timely_ms:
            out[base | TIMELY_N] = get(base | TIMELY_N, 0) + 1
        if status_accurate(order, trigger, sent, milestone):
            out[base | STATUS_N] = get(base | STATUS_N, 0) + 1
        if cost:
            out[base | COST_N] = get(base | COST_N, 0) + cost
    return out


def csat(order: OrderFacts, bucket_ms: int) -> Contribution:
    out: Contribution = {}
    get = out.get
    for time_ms, _event_id, score in order.responses.values():
        base = (time_ms // bucket_ms) << B
        out[base | CSAT_D] = get(base | CSAT_D, 0) + 1
        if score >= 4:
            out[base | CSAT_N] = get(base | CSAT_N, 0) + 1
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


_CLOCKS = (("ack", IX_ACK_DUE, BREACH_ACK, ACK_N, ACK_D), ("resolve", IX_RESOLVE_DUE, BREACH_RESOLVE, RESOLVE_N, RESOLVE_D))


def issues(order: OrderFacts, bucket_ms: int, clock_ms: int) -> tuple[Contribution, list]:
    """Issue ack and resolve SLAs; also returns the breaches found: (issue_id, clock, flag)."""
    out: Contribution = {}
    breaches = []
    for issue_id, record in order.issues.items():
        if record[IX_OPENED] is None:
            continue
        for name, due_ix, flag, num, den in _CLOCKS:
            done = acknowledged_at(record) if flag == BREACH_ACK else record[IX_RESOLVED]
            verdict = issue_clock(record, clock_ms, done, due_ix, flag)
            if verdict is None:
                continue
            base = (verdict[1] // bucket_ms) << B
            out[base | den] = out.get(base | den, 0) + 1
            if verdict[0]:
                out[base | num] = out.get(base | num, 0) + 1
            else:
                breaches.append((issue_id, name, flag))
    return out, breaches


def shift(record: tuple, bucket_ms: int) -> Contribution:
    """Labor seconds (staff x duration) and labor cost of a shift, at its end."""
    _time_ms, _event_id, _warehouse, start_ms, end_ms, staff, hourly_cost = record
    duration_ms = max(0, end_ms - start_ms)
    base = (end_ms // bucket_ms) << B
    out = {base | LABOR_D: duration_ms * staff // 1000}
    cost = round(duration_ms * staff * hourly_cost / 3_600_000)
    if cost:
        out[base | COST_N] = cost
    return out


def shift_contribution(shift_facts: ShiftFacts, bucket_ms: int) -> Contribution:
    return EMPTY if shift_facts.record is None else shift(shift_facts.record, bucket_ms)
