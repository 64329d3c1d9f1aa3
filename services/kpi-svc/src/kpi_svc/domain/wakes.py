"""When the engine must look at an order again without a new event: a ship deadline or an
issue clock passing, or the order's facts becoming droppable. One heap, stale entries skipped."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

from .contributions import acknowledged_at
from .facts import (
    BREACH_ACK,
    BREACH_RESOLVE,
    IX_ACK_DUE,
    IX_BREACHED,
    IX_OPENED,
    IX_RESOLVE_DUE,
    IX_RESOLVED,
    OrderFacts,
)


def pending_deadline(order: OrderFacts, clock_ms: int) -> int | None:
    """The first moment (deadline + 1 ms) a still-open clock of the order passes, if any."""
    wake = None
    deadline = order.ship_deadline_ms
    if deadline is not None and deadline >= clock_ms and not order.dispatches and order.cancelled is None:
        wake = deadline + 1
    for record in (order.issues or {}).values():
        if record[IX_OPENED] is None:
            continue
        for done, due, flag in (
            (acknowledged_at(record), record[IX_ACK_DUE], BREACH_ACK),
            (record[IX_RESOLVED], record[IX_RESOLVE_DUE], BREACH_RESOLVE),
        ):
            if done is None and not record[IX_BREACHED] & flag and due >= clock_ms:
                wake = due + 1 if wake is None else min(wake, due + 1)
    return wake


def evict_at(order: OrderFacts, claim_window_ms: int, idle_ms: int, grace_ms: int) -> int:
    """When the order's facts can no longer change a KPI: its claim window (from delivery or
    cancellation) closed, or it saw nothing for `idle_ms`; never before its latest event."""
    if order.cancelled is not None:
        settle = order.cancelled[0] + claim_window_ms
    elif order.completed is not None:
        settle = order.completed[0] + claim_window_ms
    else:
        settle = order.last_time_ms + idle_ms
    return max(settle, order.last_time_ms) + grace_ms


class WakeSchedule:
    """Two heaps: orders as (wake_ms, order id) 2-tuples - one entry per scheduled wake, so the
    entry is kept small (64 bytes; a 4-tuple with a sequence number took ~112) - and labor
    shifts apart (few). Entries that no longer hold are skipped when they come up."""

    __slots__ = ("_heap", "_shifts", "_shift_until")

    def __init__(self) -> None:
        self._heap: list[tuple[int, str]] = []
        self._shifts: list[tuple[int, str]] = []
        self._shift_until: dict[str, int] = {}

    def schedule(self, order: OrderFacts, wake_ms: int) -> None:
        """Keep one entry per order, the earliest: a later wake is taken up when it fires."""
        if order.wake_ms is None or wake_ms < order.wake_ms:
            order.wake_ms = wake_ms
            heapq.heappush(self._heap, (wake_ms, order.order_id))

    def schedule_shift(self, key: str, until_ms: int) -> None:
        if self._shift_until.get(key) != until_ms:
            self._shift_until[key] = until_ms
            heapq.heappush(self._shifts, (until_ms, key))

    def due(self, clock_ms: int, engine: Any) -> Iterator[tuple[str, str, int]]:
        """Pop what is due at `clock_ms` in time order, skipping entries that no longer hold."""
        heap, shifts = self._heap, self._shifts
        while True:
            order_due = heap and heap[0][0] <= clock_ms
            shift_due = shifts and shifts[0][0] <= clock_ms
            if shift_due and (not order_due or shifts[0][0] < heap[0][0]):
                when, key = heapq.heappop(shifts)
                if self._shift_until.get(key) == when:
                    del self._shift_until[key]
                    yield "shift", key, when
            elif order_due:
                when, key = heapq.heappop(heap)
                if engine.wake_of(key) == when:
                    yield "order", key, when
            else:
                return

    def put_back(self, kind: str, key: str, when: int) -> None:
        """An entry `due` handed out, due again (its owner stopped before handling it)."""
        if kind == "order":
            heapq.heappush(self._heap, (when, key))
        else:
            self._shift_until[key] = when
            heapq.heappush(self._shifts, (when, key))

    def compact(self, order_wakes: Iterator[tuple[str, int | None]]) -> None:
        """Rebuild the heaps from the live wakes only (stale entries pile up as orders move)."""
        heap = [(when, key) for key, when in order_wakes if when is not None]
        heapq.heapify(heap)
        self._heap = heap
        shifts = [(when, key) for key, when in self._shift_until.items()]
        heapq.heapify(shifts)
        self._shifts = shifts

    def __len__(self) -> int:
        return len(self._heap) + len(self._shifts)
