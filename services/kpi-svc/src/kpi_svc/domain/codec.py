"""Order and shift facts <-> plain JSON-able values (arrays - lists or tuples -, objects with
str keys, str, int, bool, None). An order is an array (positions in ORDER_FIELDS); shifts and
tombstones are small objects with a "kind".

The encoded form shares nothing the engine may still change, so the caller may serialize it
later (or, with copy=False, shares them: for a caller that serializes at once). Decoding
accepts what json/orjson give back (lists everywhere).

Versions: shift and tombstone entities are FORMAT 1 (the checkpoint's layout, the meta row's
format, is checkpoint.LAYOUT). An order array carries
its own version at position 1. ORDER_FORMAT 2 holds each family's contribution as one flat
list `[key, value, key, value, ...]` (an array's tolist(): no pair tuples to build or dump),
and its event ids as the hex of their packed 16-byte form when they are canonical UUIDs
(event_ids.py; one string instead of one per id), else as a list of strings. Version 1 held
pairs `[[key, value], ...]` and a list of id strings; it still decodes (checkpoints written
before).
"""

from __future__ import annotations

from itertools import chain

from .event_ids import decoded, encoded
from .facts import OrderFacts, ShiftFacts
from .packed import pack, packed_flat

FORMAT = 1
ORDER_FORMAT = 2  # contributions flat (see the module docstring); 1: as pairs
KIND_ORDER, KIND_SHIFT, KIND_TOMBSTONE = "order", "shift", "tombstone"

_SCALARS = ("last_time_ms", "requested_ms", "ship_deadline_ms", "tier", "channel", "service_level", "flags", "dirty")
_TUPLES = ("last_event", "placed", "promise", "lines_key", "cancelled", "fulfillment_wh", "labels", "scored")
_TUPLE_LISTS = ("entry_faults", "damage", "doc_claims", "milestones", "revisions")
_TUPLE_DICTS = ("notifications", "responses")


def _tuple(value):
    return None if value is None else tuple(value)


def _flat(part: dict) -> list:
    """{packed key: value} -> [key, value, key, value, ...]"""
    return list(chain.from_iterable(part.items()))


def _unflat(flat: list) -> dict:
    return dict(zip(flat[0::2], flat[1::2], strict=True))


# Positions of an encoded order (a JSON array: about half the cost of an object to build and dump).
ORDER_FIELDS = (
    "kind", "format", "order_id", "seen", "last_time_ms", "last_event", "placed", "requested_ms", "promise",
    "ship_deadline_ms", "tier", "channel", "service_level", "lines", "lines_key", "entry_faults", "cancelled",
    "invoice", "fulfillment_wh", "packs", "dispatches", "delivered_lines", "damage", "doc_claims", "completed",
    "milestones", "notifications", "responses", "issues", "labels", "scored", "flags", "dirty", "revisions",
    "contrib",
)


def encode_order(order: OrderFacts, copy: bool = True) -> list:
    """A JSON-able form of the order, positions as in ORDER_FIELDS. Tuples (immutable; they
    serialize as arrays) are shared; with `copy` every container the engine may still change is
    copied (pass copy=False only when the result is serialized before the engine runs again)."""
    o = order
    issues, contrib = o.issues, o.contrib
    contrib = None if contrib is None else [(family, packed_flat(part)) for family, part in contrib.items()]
    if not copy:
        return [
            KIND_ORDER, ORDER_FORMAT, o.order_id, encoded(o.seen), o.last_time_ms,
            o.last_event, o.placed, o.requested_ms, o.promise, o.ship_deadline_ms, o.tier, o.channel,
            o.service_level, o.lines, o.lines_key, o.entry_faults, o.cancelled, o.invoice, o.fulfillment_wh,
            o.packs, o.dispatches, o.delivered_lines, o.damage, o.doc_claims, o.completed, o.milestones,
            o.notifications, o.responses, issues, o.labels, o.scored, o.flags, o.dirty, o.revisions, contrib,
        ]
    return [
        KIND_ORDER, ORDER_FORMAT, o.order_id, encoded(o.seen), o.last_time_ms, o.last_event, o.placed, o.requested_ms,
        o.promise, o.ship_deadline_ms, o.tier, o.channel, o.service_level, o.lines, o.lines_key,
        None if o.entry_faults is None else o.entry_faults.copy(), o.cancelled, o.invoice, o.fulfillment_wh,
        None if o.packs is None else o.packs.copy(),
        None if o.dispatches is None else o.dispatches.copy(),
        None if o.delivered_lines is None else o.delivered_lines.copy(),
        None if o.damage is None else o.damage.copy(),
        None if o.doc_claims is None else o.doc_claims.copy(),
        o.completed,
        None if o.milestones is None else o.milestones.copy(),
        None if o.notifications is None else o.notifications.copy(),
        None if o.responses is None else o.responses.copy(),
        None if issues is None else {key: tuple(record) for key, record in issues.items()},
        o.labels, o.scored, o.flags, o.dirty,
        None if o.revisions is None else o.revisions.copy(),
        contrib,
    ]


def decode_order(encoded: list) -> OrderFacts:
    payload = dict(zip(ORDER_FIELDS, encoded, strict=True))
    order = OrderFacts(payload["order_id"], decoded(payload["seen"]))
    for name in _SCALARS:
        setattr(order, name, payload[name])
    for name in _TUPLES:
        setattr(order, name, _tuple(payload[name]))
    for name in _TUPLE_LISTS:
        value = payload[name]
        setattr(order, name, None if value is None else [tuple(item) for item in value])
    for name in _TUPLE_DICTS:
        value = payload[name]
        setattr(order, name, None if value is None else {key: tuple(item) for key, item in value.items()})
    lines = payload["lines"]
    order.lines = None if lines is None else {sku: tuple(line) for sku, line in lines.items()}
    invoice = payload["invoice"]
    if invoice is not None:
        order.invoice = (invoice[0], invoice[1], {sku: tuple(line) for sku, line in invoice[2].items()})
    if payload["packs"] is not None:
        order.packs = [(t, e, s, tuple(kinds)) for t, e, s, kinds in payload["packs"]]
    if payload["dispatches"] is not None:
        order.dispatches = {
            shipment: (t, e, wh, carrier, dict(units), cost)
            for shipment, (t, e, wh, carrier, units, cost) in payload["dispatches"].items()
        }
    if payload["delivered_lines"] is not None:
        order.delivered_lines = {shipment: dict(units) for shipment, units in payload["delivered_lines"].items()}
    completed = payload["completed"]
    if completed is not None:
        units = None if completed[3] is None else dict(completed[3])
        order.completed = (completed[0], completed[1], completed[2], units, completed[4])
    if payload["issues"] is not None:
        order.issues = {key: list(record) for key, record in payload["issues"].items()}
    if order.scored is not None:
        order.scored = tuple(bool(v) for v in order.scored)
    contrib = payload["contrib"]
    if contrib is None:
        order.contrib = None
    elif payload["format"] == 1:  # pairs
        order.contrib = {int(family): pack({int(key): int(value) for key, value in part}) for family, part in contrib}
    else:
        order.contrib = {
            int(family): pack({int(key): int(value) for key, value in zip(flat[0::2], flat[1::2], strict=True)})
            for family, flat in contrib
        }
    return order


def encode_shift(shift: ShiftFacts) -> dict:
    return {
        "kind": KIND_SHIFT,
        "format": FORMAT,
        "key": shift.key,
        "seen": sorted(shift.seen),
        "record": None if shift.record is None else list(shift.record),
        "contrib": _flat(shift.contrib or {}),
    }


def decode_shift(payload: dict) -> ShiftFacts:
    shift = ShiftFacts(payload["key"], set(payload["seen"]))
    shift.record = _tuple(payload["record"])
    shift.contrib = _unflat(payload["contrib"])
    return shift


def encode_tombstone(until_ms: int) -> dict:
    return {"kind": KIND_TOMBSTONE, "format": FORMAT, "until_ms": until_ms}
