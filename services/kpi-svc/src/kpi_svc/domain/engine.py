"""KpiEngine: the KPI state of one Kafka partition, fed one parsed CloudEvent at a time.

apply(event) only records facts (cheap, idempotent by event id). The window buckets are
brought in step lazily, once per changed order, by flush() - which report(), failures(),
scorecard(), and by default advance() and dirty_snapshot() call first. Reconciling an order
recomputes the contributions of the families of KPIs its new facts touch and applies the
difference to the buckets, so late events and revisions land where they belong. The caller
drains `observations` (counter increments and histogram samples for Prometheus) after that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import contributions as contrib
from .buckets import BucketStore
from .business_days import BusinessCalendar
from .catalog import F_CSAT, F_DELIVERY, F_ENTRY, F_ISSUES, F_LABELS, F_NOTIFY, F_SHIP
from .checkpoint import CheckpointDelta, dirty_snapshot, pin_deferred, restore_engine
from .coldstore import ColdStore
from .event_ids import holds, uuid_key, with_id
from .facts import EMITTED_SHIP, OrderFacts, ShiftFacts, first_dispatch
from .ingest import HANDLERS, SHIFT_TYPE
from .labels import WAREHOUSE, LabelRegistry, order_labels
from .lifecycle import OrderLifecycle
from .outcomes import APPLIED, DUPLICATE, EVICTED, IGNORED, Applied
from .packed import pack, packed_pairs, unpack
from .reporting import build_failures, build_report
from .rules import KpiRules
from .scorecard import build_scorecard
from .scoring import note_breaches, score_order
from .shared import shared
from .shifts import parse_shift
from .tombstones import Tombstones
from .values import InvalidEvent, datetime_to_ms
from .wakes import WakeSchedule

_NO_CLOCK = -(2**62)
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError)  # a field of the wrong shape
_fromisoformat = datetime.fromisoformat
# event type -> (its handler, the one shared copy of the type string)
_KNOWN = {etype: (handler, shared(etype)) for etype, handler in HANDLERS.items()}


class KpiEngine(OrderLifecycle):
    """Per-partition KPI state. See kpis.md for the definitions and docs/kpi-decisions.md for
    the choices where it is silent."""

    def __init__(self, rules: KpiRules | None = None) -> None:
        rules = rules or KpiRules()
        self.rules = rules
        self.tz = ZoneInfo(rules.merchant_timezone)
        self.holidays = frozenset(rules.holidays)
        self.calendar = BusinessCalendar(self.tz, self.holidays)
        self.ack_ms, self.resolve_ms = rules.issue_ack_s * 1000, rules.issue_resolve_s * 1000
        self._bucket_ms = rules.bucket_s * 1000
        self._claim_ms = rules.claim_window_s * 1000
        self._timely_ms = rules.notification_timely_s * 1000
        self._longest_ms = rules.longest_window_s * 1000
        self._idle_ms = rules.idle_order_s * 1000
        self._grace_ms = rules.eviction_grace_s * 1000
        self._settled_keep_ms = rules.settled_retention_s * 1000
        self._settled: list = []  # evicted since the last checkpoint delta: (order id, held facts, keep until)
        self.buckets = BucketStore(rules.bucket_s, rules.coarse_bucket_s, rules.longest_window_s, rules.group_retention_s)
        self.labels = LabelRegistry(rules.label_value_cap)
        self.orders: dict[str, OrderFacts] = {}
        self.shifts: dict[str, ShiftFacts] = {}
        self.tombstones = Tombstones()  # evicted order id -> until (its events revive it), by until
        self.cold = ColdStore()  # quiet order id -> (wake_ms, frozen facts)
        self._cold_after_ms = None if rules.cold_after_s is None else rules.cold_after_s * 1000
        self._in_flight_cold_ms = None if rules.in_flight_cold_after_s is None else rules.in_flight_cold_after_s * 1000
        self._hot_cap = rules.hot_orders_cap
        self._evictions_per_advance = rules.evictions_per_advance
        self.clock_ms = _NO_CLOCK
        self._newest_ms = _NO_CLOCK
        self.observations: list[tuple] = []
        self.stats = {"duplicate": 0, "ignored": 0, "evicted": 0, "orders_evicted": 0}
        self.wakes = WakeSchedule()
        self._dirty: list[OrderFacts] = []
        self._changed: set[str] = set()
        self.deferred_orders: list = []  # weak references to the DeferredOrders of deltas taken (checkpoint.py)

    # --- input -----------------------------------------------------------------------------
    def apply(self, event: dict) -> Applied:
        """Record one parsed CloudEvent. Raises InvalidEvent (state untouched) when malformed."""
        try:
            etype = event["type"]
            known = _KNOWN.get(etype)
        except (KeyError, TypeError):
            raise InvalidEvent("not a CloudEvent: type missing") from None
        if known is None:
            if etype == SHIFT_TYPE:
                try:
                    return self._apply_shift(event)
                except InvalidEvent:
                    raise
                except _MALFORMED as error:
                    raise InvalidEvent(f"{etype}: {error!r}") from error
            self.stats["ignored"] += 1
            return IGNORED
        handler, etype = known  # the shared copy of the type
        data = event.get("data")
        event_id = event.get("id")
        if (type(event_id) is not str or type(data) is not dict) and (  # noqa: E721 (exact types first: the common case)
            not isinstance(data, dict) or not isinstance(event_id, str)
        ):
            raise InvalidEvent("id and data are required")
        order_id = data.get("order_id") or event.get("partitionkey")
        if type(order_id) is not str and not isinstance(order_id, str):  # noqa: E721
            raise InvalidEvent("data.order_id is required")
        order = self.orders.get(order_id)
        thawed = False
        if order is None:
            if order_id in self.cold:
                order = self._thaw(order_id)
                thawed = True
            elif order_id in self.tombstones:
                self.stats["evicted"] += 1
                return EVICTED
        key = uuid_key(event_id)
        if order is not None and holds(order.seen, event_id, key):
            self.stats["duplicate"] += 1
            return DUPLICATE
        try:
            moment = _fromisoformat(event["time"])
        except (KeyError, TypeError, ValueError):
            raise InvalidEvent(f"time: not an RFC 3339 time: {event.get('time')!r}") from None
        if moment.tzinfo is None:
            raise InvalidEvent("time: an offset is required")
        time_ms = round(moment.timestamp() * 1000)
        fresh = order is None
        if fresh:
            order = OrderFacts(order_id, ())
        try:
            mask = handler(order, event, data, time_ms, self)
        except InvalidEvent:
            raise
        except _MALFORMED as error:
            raise InvalidEvent(f"{etype}: {error!r}") from error
        if fresh:
            self.orders[order_id] = order
            mask |= F_LABELS  # every order is reconciled once at least, which schedules its eviction
        order.seen = with_id(order.seen, event_id, key)
        order.last_event = (event_id, etype, time_ms)
        if time_ms > order.last_time_ms:
            order.last_time_ms = time_ms
            if time_ms > self._newest_ms:
                self._newest_ms = time_ms
        if mask:
            if not order.dirty:
                self._dirty.append(order)
            order.dirty |= mask
        elif thawed:  # an event no KPI reads (in transit, ...): compressed again once quiet
            self.wakes.schedule(order, self._wake(order))
        self._changed.add(order_id)
        if fresh or thawed:
            cap = self._hot_cap
            if cap is not None and len(self.orders) > cap:
                self._cool_down()
        return APPLIED

    def _apply_shift(self, event: dict) -> Applied:
        key, event_id, record = parse_shift(event)
        shift = self.shifts.get(key)
        if shift is not None and event_id in shift.seen:
            self.stats["duplicate"] += 1
            return DUPLICATE
        if shift is None:
            shift = self.shifts[key] = ShiftFacts(key, set())
        shift.seen.add(event_id)
        if shift.record is None or record[:2] > shift.record[:2]:  # the latest record of a shift wins
            shift.record = record
            self._reconcile_shift(shift)
        self._newest_ms = max(self._newest_ms, record[0])
        self._changed.add(key)
        return APPLIED

    # --- keeping buckets in step ------------------------------------------------------------
    def flush(self) -> None:
        """Bring the buckets in step with every order changed since the last flush."""
        if self._dirty and self.deferred_orders:
            pin_deferred(self)
        dirty, self._dirty = self._dirty, []
        for order in dirty:
            if order.dirty:
                self._reconcile(order)

    def _set(self, order: OrderFacts, family: int, new: dict) -> None:
        parts = order.contrib
        held = parts.get(family)
        if held is None:
            if new:
                self.buckets.add(order.keys, new)
                parts[family] = pack(new)
            return
        packed = pack(new) if new else None
        if packed == held:
            return
        # the change alone, without the entries that stay (most of a notify or issue family)
        delta = dict(new)
        get = delta.get
        for key, value in packed_pairs(held):
            change = get(key, 0) - value
            if change:
                delta[key] = change
            else:
                delta.pop(key, None)
        if delta:
            self.buckets.add(order.keys, delta)
        if packed is None:
            del parts[family]
        else:
            parts[family] = packed

    def _reconcile(self, order: OrderFacts) -> None:
        mask, order.dirty = order.dirty, 0
        if order.contrib is None:
            order.contrib = {}
        if mask & F_LABELS or order.labels is None:
            labels = order_labels(self.labels, order)
            if labels != order.labels:
                keys = self.labels.order_keys(labels)
                if order.keys:
                    for part in order.contrib.values():
                        self.buckets.move(order.keys, keys, unpack(part))
                order.labels, order.keys = labels, keys
        bucket_ms, clock = self._bucket_ms, self.clock_ms
        if mask & F_ENTRY:
            self._set(order, F_ENTRY, contrib.entry(order, bucket_ms))
        if mask & F_DELIVERY:
            part, reasons = contrib.delivery(order, bucket_ms, self._claim_ms)
            self._set(order, F_DELIVERY, part)
            if reasons is not None:
                score_order(order, reasons, self.observations)
        if mask & F_SHIP:
            first = first_dispatch(order)
            self._set(order, F_SHIP, contrib.ship(order, bucket_ms, clock, first))
            if first is not None and order.placed is not None and not order.flags & EMITTED_SHIP:
                order.flags |= EMITTED_SHIP
                self.observations.append(("time_to_ship_seconds", order.labels[1], (first[0] - order.placed[0]) / 1000))
        if mask & F_NOTIFY and order.notifications:
            self._set(order, F_NOTIFY, contrib.notify(order, bucket_ms, self._timely_ms))
        if mask & F_CSAT and order.responses:
            self._set(order, F_CSAT, contrib.csat(order, bucket_ms))
        if mask & F_ISSUES and order.issues:
            part, breaches = contrib.issues(order, bucket_ms, clock)
            self._set(order, F_ISSUES, part)
            note_breaches(order, breaches, self.observations)
        self._changed.add(order.order_id)
        self.wakes.schedule(order, self._wake(order))

    def _reconcile_shift(self, shift: ShiftFacts) -> None:
        if shift.contrib:
            self.buckets.add(shift.keys, shift.contrib, -1)
        warehouse = self.labels.open_value(WAREHOUSE, shift.record[2])
        shift.keys = self.labels.warehouse_keys(warehouse)
        shift.contrib = contrib.shift_contribution(shift, self._bucket_ms)
        self.buckets.add(shift.keys, shift.contrib)
        self.wakes.schedule_shift(shift.key, self.shift_expiry_ms(shift))

    def shift_expiry_ms(self, shift: ShiftFacts) -> int:
        """A shift is dropped once its end left the longest window (its hours no longer count)."""
        return shift.record[4] + self._longest_ms + self.rules.eviction_grace_s * 1000

    @property
    def open_orders(self) -> int:
        """Orders held in memory, expanded or compressed: what quality.md's memory bar counts."""
        return len(self.orders) + len(self.cold)

    @property
    def newest_event_ms(self) -> int | None:
        """Event time of the newest event applied (for the freshness gauge); None before any."""
        return None if self._newest_ms == _NO_CLOCK else self._newest_ms

    @newest_event_ms.setter
    def newest_event_ms(self, value: int | None) -> None:
        self._newest_ms = _NO_CLOCK if value is None else value

    # --- output ------------------------------------------------------------------------------
    def _now(self, now: datetime | int | None) -> int:
        if now is None:
            if self.clock_ms == _NO_CLOCK:
                raise ValueError("no clock yet: pass now or call advance() first")
            return self.clock_ms
        return datetime_to_ms(now)

    def report(self, window: str, now: datetime | int | None = None, by: str | None = None) -> dict:
        """GET /v1/kpis of this partition alone (see merge_reports for several)."""
        self.flush()
        return build_report([self.buckets], self.rules, window, self._now(now), by)

    def failures(self, window: str, now: datetime | int | None = None) -> dict:
        self.flush()
        return build_failures([self.buckets], self.rules, window, self._now(now))

    def scorecard(self, order_id: str) -> dict | None:
        """The order's facts, component verdicts with deciding events, and revisions (None if
        unknown or already evicted)."""
        self.flush()
        order = self.peek_order(order_id)
        return None if order is None else build_scorecard(order, self)

    def drain_observations(self) -> list[tuple]:
        """Observations for Prometheus produced so far. They are produced when orders are
        reconciled (flush, report, advance): call flush() first for everything up to now."""
        drained, self.observations = self.observations, []
        return drained

    # --- checkpoints -------------------------------------------------------------------------
    def dirty_snapshot(
        self, serialize: Callable[[Any], Any] | None = None, flush: bool = True, deferred: bool = False
    ) -> CheckpointDelta:
        """What changed since the previous call (orders, shifts, tombstones, buckets) + meta.
        Pass `serialize=orjson.dumps` to get bytes payloads (cheaper), flush=False while
        catching up, deferred=True to have the orders encoded as the writer reads them (see
        checkpoint.dirty_snapshot)."""
        return dirty_snapshot(self, serialize, flush, deferred)

    @classmethod
    def restore(
        cls,
        rules: KpiRules,
        orders: Mapping[str, Mapping],
        buckets: Mapping[str, Mapping[str, list]],
        meta: Mapping | None = None,
    ) -> KpiEngine:
        """An engine rebuilt from the union of the checkpoint deltas (latest payload per key)."""
        return restore_engine(cls, rules, orders, buckets, meta)

    def take_changed_keys(self) -> set[str]:
        changed, self._changed = self._changed, set()
        return changed

    def note_restored_order(self, order: OrderFacts) -> None:
        if order.dirty:
            self._dirty.append(order)
        if order.contrib is not None:  # it was reconciled before: its clocks are known
            self.wakes.schedule(order, self._wake(order))
