"""Quiet settled orders kept compressed in memory (~1 KB instead of ~10 KB each).

A delivered or cancelled order mostly waits out its seven-day claim window; its facts are
needed again only if a claim, survey, issue or late notification arrives. Such an order is
frozen (marshal + zlib, in memory only, never persisted: marshal is tied to the Python
version) and thawed by the next event or wake that needs it.
"""

from __future__ import annotations

import marshal
import zlib
from dataclasses import fields

from .facts import OrderFacts

# Every field but `keys` (shared label tuples: re-interned from `labels` on thaw).
_FIELDS = tuple(f.name for f in fields(OrderFacts) if f.name != "keys")


def freeze(order: OrderFacts) -> bytes:
    return zlib.compress(marshal.dumps(tuple(getattr(order, name) for name in _FIELDS)), 1)


def thaw(blob: bytes) -> OrderFacts:
    order = OrderFacts.__new__(OrderFacts)
    for name, value in zip(_FIELDS, marshal.loads(zlib.decompress(blob)), strict=True):
        setattr(order, name, value)
    order.keys = ()
    return order
