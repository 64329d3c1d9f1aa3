"""The life of open orders between events: clocks passing, compression, eviction.

Mixed into KpiEngine (it works on the engine's orders, cold store, wakes and buckets).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from .catalog import F_ISSUES, F_SHIP
from .checkpoint import pin_deferred, restore_order
from .codec import decode_order
from .event_ids import holds, uuid_key
from .facts import OrderFacts
from .values import datetime_to_ms
from .wakes import evict_at, pending_deadline


class OrderLifecycle:
    """advance(), the wake of each order, compression and eviction (needs KpiEngine's state)."""

    def _wake(self, order: OrderFacts, cold: bool = True) -> int:
        """The next moment the order needs a look without a new event: a clock of it passing,
        the moment it may be kept compressed, or the moment it may be dropped (facts are kept
        at least until every clock of the order has run out), whichever comes first."""
        deadline = pending_deadline(order, self.clock_ms)
        wake = evict_at(order, self._claim_ms, self._idle_ms, self._grace_ms) if deadline is None else deadline
        if cold:
            quiet = self._cold_after_ms if order.completed is not None or order.cancelled is not None else self._in_flight_cold_ms
            if quiet is not None and order.last_time_ms + quiet < wake:
                return order.last_time_ms + quiet
        return wake

    def _freeze(self, order: OrderFacts) -> None:
        """Keep the order compressed until its next event, or its next clock (then thawed)."""
        order.wake_ms = None
        self.wakes.schedule(order, self._wake(order, cold=False))
        del self.orders[order.order_id]
        self.cold.put(order, order.wake_ms)

    def _cool_down(self) -> None:
        """Too many orders expanded (`hot_orders_cap`): those expanded longest, down to half the
        cap, are reconciled if they changed (as a read would, at the current clock) and
        compressed. Each keeps its facts and its next clock or eviction as its cold wake; its
        next event thaws it, as after a quiet time. What changes is memory only: while a replay
        catches up, the orders touched between two checkpoints no longer stay expanded
        together. The orders expanded last stay: most are in a burst of events (placed,
        confirmed, invoiced within minutes), and compressing them would only thaw them again."""
        orders = self.orders
        for order in list(islice(orders.values(), len(orders) - self._hot_cap // 2)):
            if order.dirty:
                self._reconcile(order)
            self._freeze(order)
        # the list of changed orders must not keep the expanded copies of those just compressed
        self._dirty = [order for order in self._dirty if order.dirty]

    def _thaw(self, order_id: str) -> OrderFacts:
        order = self._with_keys(self.cold.take(order_id))
        self.orders[order_id] = order
        return order

    def _with_keys(self, order: OrderFacts) -> OrderFacts:
        if order.labels is not None:
            order.keys = self.labels.order_keys(order.labels)
        return order

    def peek_order(self, order_id: str) -> OrderFacts | None:
        """The facts of an open order, hot or kept compressed (a copy of the latter)."""
        order = self.orders.get(order_id)
        if order is None and order_id in self.cold:
            order = self._with_keys(self.cold.peek(order_id))
        return order

    def order_ids(self) -> list[str]:
        """Ids of every open order (hot or compressed)."""
        return [*self.orders, *self.cold]

    def wake_of(self, order_id: str) -> int | None:
        order = self.orders.get(order_id)
        if order is not None:
            return order.wake_ms
        return self.cold.wake_of(order_id)

    def advance(self, now: datetime | int, flush: bool = True, spill: bool = False) -> None:
        """Move the engine clock to `now` (wall clock, epoch ms or aware datetime; never back):
        ship deadlines and issue clocks that passed count as failures; orders whose claim window
        closed are dropped (their contribution stays in the buckets); old buckets are dropped.

        `now` should be the consumer's event-time watermark (see docs/kpi-decisions.md): the wall
        clock once caught up, the slowest partition's event time while replaying.
        flush=False leaves orders changed since the last flush alone (they are reconciled, with
        the clock of that moment, when next read): cheaper while catching up.

        spill=True (the wiring passes it once caught up, in live traffic): a settled order
        (delivered or cancelled) that reaches its quiet time with no clock of its own running
        leaves memory at once, as at the end of its claim window (`_evict`: its facts go to the
        settled orders of the next checkpoint delta, a tombstone stays, a later event revives
        it), instead of waiting out the claim window compressed. Live, event time is the wall
        clock, so a settled order would otherwise stay 7 days in memory: the open orders, and
        the memory, grew with every order placed. While replaying (spill=False) it is kept
        compressed as before: a replay reaches an order's late events (surveys, claims) within
        seconds, and reviving it from the store for each would cost a query."""
        if self.deferred_orders:  # orders change below: what a delta taken still holds is encoded first
            pin_deferred(self)
        self.clock_ms = max(self.clock_ms, datetime_to_ms(now))
        clock = self.clock_ms
        self.buckets.advance(clock)
        if flush:
            self.flush()
        # at most `evictions_per_advance` orders leave per call: each goes into the next checkpoint
        # delta encoded (~2.5 KB), and when a replay's watermark jumps to its end tens of
        # thousands are due at once. Past it, what is due waits for the next advance (the wakes
        # stay in the heap; a clock that passed then counts one advance later, in its own bucket)
        budget, evicted = self._evictions_per_advance, 0
        for kind, key, when in self.wakes.due(clock, self):
            if budget is not None and evicted >= budget:
                self.wakes.put_back(kind, key, when)
                break
            if kind == "order":
                order = self.orders.get(key)
                frozen = None
                if order is None:
                    frozen = self.cold.frozen(key)
                    order = self._thaw(key)
                order.wake_ms = None
                passing = pending_deadline(order, when - 1)
                if order.dirty or (passing is not None and passing <= clock):
                    order.dirty |= F_SHIP | F_ISSUES  # a ship deadline or an issue clock passed
                    self._reconcile(order)
                    frozen = None
                else:
                    self.wakes.schedule(order, self._wake(order))
                if order.wake_ms is not None and order.wake_ms <= clock:
                    pending = pending_deadline(order, clock)
                    if pending is None and evict_at(order, self._claim_ms, self._idle_ms, self._grace_ms) <= clock:
                        self._evict(order, frozen)
                        evicted += 1
                    elif spill and pending is None and not order.dirty and self._settled_quiet(order, clock):
                        self._evict(order, frozen, early=True)
                        evicted += 1
                    elif not order.dirty:
                        self._freeze(order)
            elif kind == "shift":
                self.shifts.pop(key, None)
                self._changed.add(key)
        self._expire_tombstones(clock)
        live = len(self.orders) + len(self.cold) + len(self.shifts)
        # stale entries at most half the live ones (~140 B each, with the id of an order gone).
        # The slack is small: live, few orders stay in memory but every spilled or thawed order
        # leaves an entry behind, and with 1,024 per partition (12) the heap grew by ~12,000
        # stale entries (~1.7 MB) during a soak before it was ever compacted.
        if len(self.wakes) > live + live // 2 + 64:
            self.wakes.compact((key, self.wake_of(key)) for key in self.order_ids())

    def _settled_quiet(self, order: OrderFacts, clock: int) -> bool:
        """Delivered or cancelled, and quiet for its quiet time (`cold_after_s`)."""
        quiet = self._cold_after_ms
        return (
            quiet is not None
            and (order.completed is not None or order.cancelled is not None)
            and order.last_time_ms + quiet <= clock
        )

    def _evict(self, order: OrderFacts, frozen: bytes | None = None, early: bool = False) -> None:
        """Drop the facts from memory; they go to the settled orders (take_settled), kept in the
        store for `settled_retention_s` after the order settled: late events revive them. Until
        the next checkpoint delta takes them they wait in the form they had: compressed
        (`frozen`: the order's cold form when it has not changed since) or expanded (an order
        already expanded costs nothing more; compressing it only to expand it again at the
        checkpoint was the largest cost of the clock jump at the end of a replay)."""
        del self.orders[order.order_id]
        settled = order.completed[0] if order.completed else order.cancelled[0] if order.cancelled else order.last_time_ms
        until = max(settled, order.last_time_ms) + self._settled_keep_ms
        self._settled.append((order.order_id, order if frozen is None else frozen, until))
        if early:  # spilled: its tombstone lasts as long as if it had waited out its claim window
            self.tombstones.add(order.order_id, self._spilled_until(order))
        else:
            self._tombstone(order.order_id)
        self._changed.add(order.order_id)
        self.stats["orders_evicted"] += 1

    def _spilled_until(self, order: OrderFacts) -> int:
        """The tombstone of an order spilled before its claim window closed: it lasts the longest
        window after the moment the order would have been evicted (at the earliest), rounded up
        to the hour so spilled orders share expiry batches (tombstones.py). Events for it are
        then recognised (and revive it) at least as long as if it had stayed in memory."""
        hour = 3_600_000
        due = max(self.clock_ms, evict_at(order, self._claim_ms, self._idle_ms, self._grace_ms)) + self._longest_ms
        return -(-due // hour) * hour

    def _tombstone(self, order_id: str) -> None:
        """Tombstones expire in the order they were made (clock + the longest window, the clock
        never goes back): no wake entries (tombstones.py)."""
        self.tombstones.add(order_id, self.clock_ms + self._longest_ms)

    def _expire_tombstones(self, clock: int) -> None:
        self._changed.update(self.tombstones.expire(clock))

    def take_settled(self) -> Iterator[tuple[OrderFacts, int]]:
        """Orders evicted since the last call, with the moment their stored facts may go (each
        expanded only when the iterator reaches it)."""
        return ((self.cold.thaw_held(held), until) for held, until in self.take_settled_held().values())

    def take_settled_held(self) -> dict[str, tuple[Any, int]]:
        """Orders evicted since the last call as held (compressed bytes or expanded facts, see
        `ColdStore.thaw_held`), by id, with the moment their stored facts may go."""
        settled, self._settled = self._settled, []
        return {order_id: (held, until) for order_id, held, until in settled}

    def revive(self, order_id: str, payload: list, event_ids: set[str]) -> bool:
        """Bring an evicted order's stored facts back (its tombstone goes), so its late events
        revise the windows they belong to. False, and nothing changes, when the order is not
        evicted here or every event given is already among its facts (replayed duplicates)."""
        if order_id not in self.tombstones or order_id in self.orders:
            return False
        seen = decode_order(payload).seen
        if all(holds(seen, event_id, uuid_key(event_id)) for event_id in event_ids):
            return False
        del self.tombstones[order_id]
        restore_order(self, order_id, payload)
        self._changed.add(order_id)
        return True
