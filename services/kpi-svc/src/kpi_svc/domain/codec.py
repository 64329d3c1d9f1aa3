"""Order and shift facts <-> plain JSON-able dicts (str keys, lists, str, int, bool, None).

The encoded form is a copy: the engine may keep changing its state while the caller writes
the checkpoint. Version 1.
"""

from __future__ import annotations

from .facts import OrderFacts, ShiftFacts

FORMAT = 1
KIND_ORDER, KIND_SHIFT, KIND_TOMBSTONE = "order", "shift", "tombstone"

_SCALARS = ("last_time_ms", "requested_ms", "ship_deadline_ms", "tier", "channel", "service_level", "flags")
_TUPLES = ("last_event", "placed", "promise", "lines_key", "cancelled", "fulfillment_wh", "labels", "scored")
_TUPLE_LISTS = ("entry_faults", "damage", "doc_claims", "milestones", "revisions")
_TUPLE_DICTS = ("notifications", "responses")


def _tuple(value):
    return None if value is None else tuple(value)


def _flat(part: dict) -> list:
    """{packed key: value} -> [key, value, key, value, ...]"""
    out = []
    for item in part.items():
        out.extend(item)
    return out


def _unflat(flat: list) -> dict:
    return dict(zip(flat[0::2], flat[1::2]))


def _encode_contrib(contrib: dict | None) -> dict:
    return {str(family): _flat(part) for family, part in (contrib or {}).items()}


def _decode_contrib(encoded: dict | None) -> dict:
    return {int(family): _unflat(flat) for family, flat in (encoded or {}).items()}


def encode_order(order: OrderFacts) -> dict:
    out: dict = {"kind": KIND_ORDER, "format": FORMAT, "order_id": order.order_id, "seen": sorted(order.seen)}
    for name in _SCALARS:
        out[name] = getattr(order, name)
    for name in _TUPLES:
        value = getattr(order, name)
        out[name] = None if value is None else list(value)
    for name in _TUPLE_LISTS:
        value = getattr(order, name)
        out[name] = None if value is None else [list(item) for item in value]
    for name in _TUPLE_DICTS:
        value = getattr(order, name)
        out[name] = None if value is None else {key: list(item) for key, item in value.items()}
    out["lines"] = None if order.lines is None else {sku: list(line) for sku, line in order.lines.items()}
    out["invoice"] = None if order.invoice is None else [
        order.invoice[0], order.invoice[1], {sku: list(line) for sku, line in order.invoice[2].items()}
    ]
    out["packs"] = None if order.packs is None else [[t, e, s, list(kinds)] for t, e, s, kinds in order.packs]
    out["dispatches"] = None if order.dispatches is None else {
        shipment: [t, e, wh, carrier, dict(units), cost]
        for shipment, (t, e, wh, carrier, units, cost) in order.dispatches.items()
    }
    out["delivered_lines"] = None if order.delivered_lines is None else {
        shipment: dict(units) for shipment, units in order.delivered_lines.items()
    }
    completed = order.completed
    out["completed"] = None if completed is None else [
        completed[0], completed[1], completed[2], None if completed[3] is None else dict(completed[3]), completed[4]
    ]
    out["issues"] = None if order.issues is None else {key: list(record) for key, record in order.issues.items()}
    out["contrib"] = _encode_contrib(order.contrib)
    return out


def decode_order(payload: dict) -> OrderFacts:
    order = OrderFacts(payload["order_id"], set(payload["seen"]))
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
    order.contrib = _decode_contrib(payload["contrib"])
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
