"""Quiet orders kept compressed in memory (~0.9 KB instead of ~5.5 KB each).

A delivered or cancelled order mostly waits out its seven-day claim window, and an order in
flight waits hours between its events (picking, transit); its facts are needed again only
when its next event or clock arrives. Such an order is frozen (marshal + zlib, in memory
only, never persisted: marshal is tied to the Python version) and thawed by the next event or
wake that needs it. Evicted orders also wait in this form for the next checkpoint delta.
"""

from __future__ import annotations

import marshal
import zlib
from array import array
from dataclasses import fields

from .facts import OrderFacts

# Every field but `keys` (shared label tuples: re-interned from `labels` on thaw) and
# `contrib` (arrays, which marshal does not take: frozen as their bytes, last).
_FIELDS = tuple(f.name for f in fields(OrderFacts) if f.name not in ("keys", "contrib"))


def freeze(order: OrderFacts) -> bytes:
    contrib = order.contrib
    if contrib is not None:
        contrib = {family: part.tobytes() if type(part) is array else part for family, part in contrib.items()}
    return zlib.compress(marshal.dumps((*(getattr(order, name) for name in _FIELDS), contrib)), 1)


def thaw(blob: bytes) -> OrderFacts:
    order = OrderFacts.__new__(OrderFacts)
    *values, contrib = marshal.loads(zlib.decompress(blob))
    for name, value in zip(_FIELDS, values, strict=True):
        setattr(order, name, value)
    if contrib is not None:
        contrib = {family: _array(part) if type(part) is bytes else part for family, part in contrib.items()}
    order.contrib = contrib
    order.keys = ()
    return order


def _array(raw: bytes) -> array:
    packed = array("q")
    packed.frombytes(raw)
    return packed
