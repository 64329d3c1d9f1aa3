"""Checkpoint deltas of an engine, and rebuilding an engine from its checkpoint.

The wiring layer keeps two tables per partition - entities (orders, shifts, tombstones by key)
and buckets (by name) - and a meta row; it upserts what `dirty_snapshot` says changed, deletes
what it says was removed, in the same transaction as the consumer offsets.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .codec import (
    FORMAT,
    KIND_ORDER,
    KIND_SHIFT,
    KIND_TOMBSTONE,
    decode_order,
    decode_shift,
    encode_order,
    encode_shift,
    encode_tombstone,
)
from .labels import CARRIER, WAREHOUSE
from .rules import KpiRules

# The checkpoint's layout (the meta row's "format"). 2 (2026-12-07, branch `kpireplay4`): the store
# may keep the tombstone of an order settled by a delta with that order's settled facts instead
# of as a row of its own (`CheckpointDelta.tombstones`), and hands it back among the entities
# when it restores. Layout 1 (every tombstone an entity row) restores as it is; code that knows
# only layout 1 refuses a layout-2 checkpoint (it would lose those tombstones) instead of
# computing figures without them.
LAYOUT = 2
READABLE_LAYOUTS = (FORMAT, LAYOUT)

if TYPE_CHECKING:
    from .engine import KpiEngine


def _identity(value: Any) -> Any:
    return value


def exact_size(serialize: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`serialize`, with bytes results copied to their exact size. orjson.dumps returns bytes
    that keep the capacity its writer grew to (4 KB at the least, ~64 KB for a 3 KB order;
    tracemalloc, orjson 3.13): a delta of thousands of orders held hundreds of MB that way."""

    def keep(value: Any) -> Any:
        out = serialize(value)
        return bytes(memoryview(out)) if type(out) is bytes else out  # noqa: E721 (exact bytes)

    return keep


class CheckpointDelta(NamedTuple):
    """What changed since the previous delta. All values are plain JSON-able data.

    orders: key -> payload for orders (key = order id; an array, see codec.ORDER_FIELDS), labor
    shifts (`labor:<wh>:<shift>`) and tombstones of evicted orders (objects with a "kind"); removed_orders: keys to delete; buckets: name -> cells;
    removed_buckets: names to delete; meta: small, always complete (store it whole).
    """

    orders: dict[str, Any]
    removed_orders: list[str]
    buckets: dict[str, Any]
    removed_buckets: list[str]
    meta: dict
    settled: dict[str, tuple[Any, int]] | None = None  # evicted order id -> (its last facts, keep until ms)
    # the tombstones among `orders` (key -> until ms), so a store may keep one with its order's
    # settled facts (LAYOUT 2) instead of writing its entity row; None: no tombstone
    tombstones: dict[str, int] | None = None


class DeferredOrders(Mapping):
    """The orders of a checkpoint delta (key -> payload), each encoded when it is read: the
    writer takes them a chunk at a time, so a delta of thousands of changed orders is never
    held encoded at once (~3 KB each: 8,000-14,000 per checkpoint while a replay catches up,
    docs/kpi-decisions.md, "Memory"). Shifts come encoded (`ready`); tombstones (`tombstones`, key
    -> until) are encoded only if read: a store that keeps them with their settled orders never
    reads them.

    Encoded later, an order must still be what it was when the delta was taken, as the
    buckets and meta of the delta are. The stream holds its lock from the snapshot to the
    commit, but a read (a report, a scorecard, the gauges) may flush the engine meanwhile. So
    the engine pins its deferred deltas (encodes what they still hold, at once) first
    (`pin_deferred`): in `flush()` when it has orders to reconcile, and in `advance()`, whose
    evictions take orders out of the engine (a failed save's delta waits for the next
    checkpoint, which advances first). Other changes after a failed save (events applied, the
    cap compressing orders) mark the orders changed, so the next delta, merged with this one
    (`merge_deltas`: the newer payload wins), writes them as they are then."""

    __slots__ = ("_engine", "_ready", "_tombstones", "_later", "_pinned", "_keep", "_copy", "__weakref__")

    def __init__(self, engine: KpiEngine, ready: dict[str, Any], later: list[str],
                 keep: Callable[[Any], Any], copy: bool, tombstones: dict[str, int] | None = None) -> None:
        self._engine: KpiEngine | None = engine
        self._ready = ready
        self._tombstones = tombstones or {}
        self._later = dict.fromkeys(later)  # order id -> None, its payload once pinned
        self._pinned = False
        self._keep, self._copy = keep, copy

    def __getitem__(self, key: str) -> Any:
        if key not in self._later:
            if key in self._tombstones:
                return self._keep(encode_tombstone(self._tombstones[key]))
            return self._ready[key]
        if self._pinned:
            return self._later[key]
        order = self._engine.peek_order(key)
        if order is None:
            raise RuntimeError(f"order {key!r} left the engine before its checkpoint delta was pinned")
        return self._keep(encode_order(order, self._copy))

    def __iter__(self) -> Iterator[str]:
        yield from self._ready
        yield from self._tombstones
        yield from self._later

    def __len__(self) -> int:
        return len(self._ready) + len(self._tombstones) + len(self._later)

    def __contains__(self, key: object) -> bool:  # without encoding (Mapping's would)
        return key in self._later or key in self._ready or key in self._tombstones

    def pin(self) -> None:
        """Encode every order now: the engine is about to change them (safe while a writer is
        half-way through: no key is added or removed)."""
        if not self._pinned:
            later = self._later
            for key in later:
                later[key] = self[key]
            self._pinned, self._engine = True, None


class DeferredSettled(Mapping):
    """The settled orders of a checkpoint delta (order id -> (payload, keep until ms)), each
    encoded when it is read, as the writer takes them a chunk at a time. At the clock jump that
    ends a replay thousands settle at once; encoded together they were the peak of kpi-svc's
    memory (~10 MB at 300,000 orders, docs/benchmarks.md). What it holds is what the engine held
    until the delta was taken (compressed or expanded facts, never changed again: a late event
    revives an order from its stored facts as a new object), so no pinning is needed."""

    __slots__ = ("_held", "_thaw", "_keep", "_copy")

    def __init__(self, held: dict[str, tuple[Any, int]], thaw: Callable[[Any], Any],
                 keep: Callable[[Any], Any], copy: bool) -> None:
        self._held = held  # order id -> (compressed bytes or OrderFacts, keep until ms)
        self._thaw, self._keep, self._copy = thaw, keep, copy

    def __getitem__(self, key: str) -> tuple[Any, int]:
        held, until = self._held[key]
        return self._keep(encode_order(self._thaw(held), self._copy)), until

    def __iter__(self) -> Iterator[str]:
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, key: object) -> bool:  # without encoding (Mapping's would)
        return key in self._held


def pin_deferred(engine: KpiEngine) -> None:
    """Encode what the engine's deferred deltas still hold, before it changes an order."""
    held, engine.deferred_orders = engine.deferred_orders, []
    for ref in held:
        orders = ref()
        if orders is not None:
            orders.pin()


def merge_deltas(older: CheckpointDelta, newer: CheckpointDelta) -> CheckpointDelta:
    """One delta with the effect of writing `older` then `newer`: a checkpoint that failed keeps
    what it drained, and the next one writes it together with what changed since."""
    orders = {k: v for k, v in older.orders.items() if k not in newer.removed_orders}
    orders.update(newer.orders)
    removed = sorted((set(older.removed_orders) - newer.orders.keys()) | set(newer.removed_orders))
    buckets = {k: v for k, v in older.buckets.items() if k not in newer.removed_buckets}
    buckets.update(newer.buckets)
    removed_buckets = sorted((set(older.removed_buckets) - newer.buckets.keys()) | set(newer.removed_buckets))
    settled = {**(older.settled or {}), **(newer.settled or {})} or None
    tombstones = {k: v for k, v in (older.tombstones or {}).items() if k not in newer.removed_orders and k not in newer.orders}
    tombstones.update(newer.tombstones or {})
    return CheckpointDelta(orders, removed, buckets, removed_buckets, newer.meta, settled, tombstones or None)


def dirty_snapshot(
    engine: KpiEngine, serialize: Callable[[Any], Any] | None = None, flush: bool = True, deferred: bool = False
) -> CheckpointDelta:
    """`serialize` (e.g. orjson.dumps) turns each payload into bytes at once: the plain
    structures then live for microseconds, which keeps them out of the garbage collector's
    older generations.

    deferred=True: the orders are a `DeferredOrders`, encoded as the writer reads them (shifts,
    buckets and meta are encoded now; tombstones only if the writer reads them, which a store that
    keeps them with their settled orders does not; the settled orders are a `DeferredSettled`,
    encoded as the writer reads them too).

    flush=False saves orders not reconciled yet with their dirty mask (the buckets hold exactly
    the contributions the saved orders record, so the checkpoint is consistent): cheaper while
    catching up, but the checkpointed buckets other replicas read then lag until a flush."""
    if flush:
        engine.flush()
    orders: dict[str, Any] = {}
    removed: list[str] = []
    later: list[str] = []
    tombstones: dict[str, int] = {}
    keep = _identity if serialize is None else exact_size(serialize)
    copy = serialize is None  # serialized at once: the encoded form may share the order's containers
    for key in engine.take_changed_keys():
        if deferred and (key in engine.orders or key in engine.cold):
            later.append(key)
            continue
        order = engine.peek_order(key)
        if order is not None:
            orders[key] = keep(encode_order(order, copy))
        elif key in engine.tombstones:
            until = tombstones[key] = engine.tombstones[key]
            if not deferred:  # deferred: encoded only if the writer reads it (DeferredOrders)
                orders[key] = keep(encode_tombstone(until))
        elif key in engine.shifts:
            orders[key] = keep(encode_shift(engine.shifts[key]))
        else:
            removed.append(key)
    buckets, removed_buckets = engine.buckets.drain_changes(None if serialize is None else keep)
    meta = {"format": LAYOUT, "clock_ms": engine.clock_ms, "newest_event_ms": engine.newest_event_ms}
    held = engine.take_settled_held()
    settled = DeferredSettled(held, engine.cold.thaw_held, keep, copy) if held else None
    if deferred:
        orders = DeferredOrders(engine, orders, later, keep, copy, tombstones)
        engine.deferred_orders.append(weakref.ref(orders))
    elif settled is not None:
        settled = dict(settled.items())  # encoded now
    return CheckpointDelta(orders, removed, buckets, removed_buckets, meta, settled, tombstones or None)


def restore_engine(
    engine_type: type[KpiEngine],
    rules: KpiRules,
    orders: Mapping[str, Mapping],
    buckets: Mapping[str, Mapping[str, list]],
    meta: Mapping | None = None,
) -> KpiEngine:
    """Payloads must be deserialized already (plain dicts, e.g. from orjson.loads)."""
    engine = engine_type(rules)
    meta = meta or {}
    if meta.get("format", FORMAT) not in READABLE_LAYOUTS:
        raise ValueError(f"checkpoint format {meta.get('format')} is not one of {READABLE_LAYOUTS}")
    engine.clock_ms = meta.get("clock_ms", engine.clock_ms)
    engine.newest_event_ms = meta.get("newest_event_ms")
    engine.buckets.load(buckets)
    engine.buckets.advance(engine.clock_ms)
    engine.buckets.drain_changes()
    engine.labels.note_cell_keys(engine.buckets.cell_keys())
    tombstones = []
    for key, payload in orders.items():
        kind = payload[0] if isinstance(payload, (list, tuple)) else payload["kind"]
        if kind == KIND_ORDER:
            restore_order(engine, key, payload)
        elif kind == KIND_SHIFT:
            shift = decode_shift(dict(payload))
            if shift.record is not None:
                warehouse = engine.labels.open_value(WAREHOUSE, shift.record[2])
                shift.keys = engine.labels.warehouse_keys(warehouse)
                engine.wakes.schedule_shift(key, engine.shift_expiry_ms(shift))
            engine.shifts[key] = shift
        elif kind == KIND_TOMBSTONE:
            tombstones.append((payload["until_ms"], key))
        else:
            raise ValueError(f"unknown checkpoint entity kind {kind!r} for {key!r}")
    for until, key in sorted(tombstones):  # kept in expiry order
        engine.tombstones.add(key, until)
    return engine


def restore_order(engine: KpiEngine, key: str, payload: list) -> None:
    """Put one checkpointed order back into the engine (a restore, or a settled order revived)."""
    order = decode_order(payload)
    if order.labels is not None:
        engine.labels.note(CARRIER, order.labels[0])
        engine.labels.note(WAREHOUSE, order.labels[1])
        order.keys = engine.labels.order_keys(order.labels)
    engine.orders[key] = order
    engine.note_restored_order(order)
