"""Checkpoint deltas of an engine, and rebuilding an engine from its checkpoint.

The wiring layer keeps two tables per partition - entities (orders, shifts, tombstones by key)
and buckets (by name) - and a meta row; it upserts what `dirty_snapshot` says changed, deletes
what it says was removed, in the same transaction as the consumer offsets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    return CheckpointDelta(orders, removed, buckets, removed_buckets, newer.meta, settled)


def dirty_snapshot(
    engine: KpiEngine, serialize: Callable[[Any], Any] | None = None, flush: bool = True
) -> CheckpointDelta:
    """`serialize` (e.g. orjson.dumps) turns each payload into bytes at once: the plain
    structures then live for microseconds, which keeps them out of the garbage collector's
    older generations.

    flush=False saves orders not reconciled yet with their dirty mask (the buckets hold exactly
    the contributions the saved orders record, so the checkpoint is consistent): cheaper while
    catching up, but the checkpointed buckets other replicas read then lag until a flush."""
    if flush:
        engine.flush()
    orders: dict[str, Any] = {}
    removed: list[str] = []
    keep = _identity if serialize is None else exact_size(serialize)
    copy = serialize is None  # serialized at once: the encoded form may share the order's containers
    for key in engine.take_changed_keys():
        order = engine.peek_order(key)
        if order is not None:
            orders[key] = keep(encode_order(order, copy))
        elif key in engine.tombstones:
            orders[key] = keep(encode_tombstone(engine.tombstones[key]))
        elif key in engine.shifts:
            orders[key] = keep(encode_shift(engine.shifts[key]))
        else:
            removed.append(key)
    buckets, removed_buckets = engine.buckets.drain_changes(None if serialize is None else keep)
    meta = {"format": FORMAT, "clock_ms": engine.clock_ms, "newest_event_ms": engine.newest_event_ms}
    settled = {order.order_id: (keep(encode_order(order, copy)), until) for order, until in engine.take_settled()} or None
    return CheckpointDelta(orders, removed, buckets, removed_buckets, meta, settled)


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
    if meta.get("format", FORMAT) != FORMAT:
        raise ValueError(f"checkpoint format {meta.get('format')} is not {FORMAT}")
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
