"""What the engine remembers about one order (and one labor shift): the facts its events
established, plus the bookkeeping that keeps the window buckets in step with them.

Times are epoch ms. Collections start as None and are created on first use, so an order
pays only for what happened to it. The ids of its events are packed 16 bytes each
(event_ids.py), its contributions arrays of ints (packed.py), and repeated strings shared (shared.py): see
docs/kpi-decisions.md, "Memory". Evidence keeps the event id and type that proved it,
so a scorecard can say which event decided a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

# once-only observation flags
EMITTED_DELIVERED = 1
EMITTED_SHIP = 2
FAILED_EMITTED_SHIFT = 8  # bit (FAILED_EMITTED_SHIFT << component index) marks a failure emitted


@dataclass(slots=True, eq=False)
class OrderFacts:
    order_id: str
    seen: bytes | tuple | set  # ids of the events applied (event_ids.py)
    last_time_ms: int = 0
    last_event: tuple | None = None  # (event_id, type, time_ms) of the latest applied event
    # order.placed
    placed: tuple | None = None  # (time_ms, event_id)
    requested_ms: int | None = None
    promise: tuple | None = None  # (rank, time_ms, event_id, type, promised_ms), smallest wins
    ship_deadline_ms: int | None = None
    tier: str = "other"
    channel: str = "other"
    service_level: str = "other"
    lines: dict | None = None  # sku -> (quantity, unit price or None)
    lines_key: tuple | None = None  # (time_ms, rank, event_id, type), largest wins
    entry_faults: list | None = None  # (time_ms, event_id, type, reason)
    cancelled: tuple | None = None  # (time_ms, event_id), earliest
    invoice: tuple | None = None  # (time_ms, event_id, lines), latest
    # fulfillment
    fulfillment_wh: str | None = None
    packs: list | None = None  # (time_ms, event_id, shipment_id, discrepancy kinds tuple)
    dispatches: dict | None = None  # shipment_id -> (time_ms, event_id, warehouse, carrier, units, cost)
    delivered_lines: dict | None = None  # shipment_id -> units (from shipment.delivered)
    damage: list | None = None  # (time_ms, event_id, type, reason)
    doc_claims: list | None = None  # (time_ms, event_id, type, reason)
    completed: tuple | None = None  # (delivered_ms, event_id, time_ms, units or None, closed_short)
    milestones: list | None = None  # (time_ms, milestone) of status events
    # notifications, feedback
    notifications: dict | None = None  # id -> (sent_ms, trigger_ms, milestone, channel, cost, event_id)
    responses: dict | None = None  # survey_id -> (time_ms, event_id, csat)
    issues: dict | None = None  # issue_id -> IssueFacts list, see IX_* below
    # bookkeeping
    labels: tuple | None = None  # (carrier, warehouse, tier, channel, service_level)
    keys: tuple = ()  # bucket label keys the contributions were added under
    contrib: dict | None = None  # family -> packed {(bucket << SLOT_BITS) | slot: value} (packed.py)
    dirty: int = 0
    scored: tuple | None = None  # component verdicts last counted
    flags: int = 0
    revisions: list | None = None  # (component, from, to, at_ms, event_id, type)
    wake_ms: int | None = None


# indexes of an issue record: a list so acknowledgements can fill it in place
IX_OPENED, IX_ACK_DUE, IX_RESOLVE_DUE, IX_CATEGORY, IX_OPENED_ID = 0, 1, 2, 3, 4
IX_ACK, IX_ACK_ID, IX_RESOLVED, IX_RESOLVED_ID, IX_BREACHED, IX_EMITTED = 5, 6, 7, 8, 9, 10
BREACH_ACK, BREACH_RESOLVE = 1, 2


def new_issue() -> list:
    return [None, None, None, "other", None, None, None, None, None, 0, 0]


@dataclass(slots=True, eq=False)
class ShiftFacts:
    """A labor shift (`labor.shift_recorded`, keyed by warehouse): hours and cost at shift end."""

    key: str
    seen: set
    record: tuple | None = None  # (time_ms, event_id, warehouse, start_ms, end_ms, staff, hourly_cost)
    keys: tuple = ()
    contrib: dict | None = None
    dirty: int = 0


def shift_key(warehouse_id: str, shift_id: str) -> str:
    return f"labor:{warehouse_id}:{shift_id}"


def first_dispatch(order: OrderFacts) -> tuple | None:
    """The earliest dispatched shipment (by event time, then event id)."""
    dispatches = order.dispatches
    if not dispatches:
        return None
    return min(dispatches.values())
