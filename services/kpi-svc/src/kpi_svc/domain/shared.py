"""One copy of the values many orders repeat.

JSON parsing gives every event its own copy of every string: an order that names the same
sku in its placement, invoice, dispatch and completion would hold four copies, and each of
100,000 open orders its own copy of `orderpulse.order.placed.v1`. Low-cardinality strings
(skus, carriers, warehouses, event types, enum labels) go through `shared`, and a value equal
to one the order already holds (the invoiced lines are usually the ordered lines) through
`same_as`. Identifiers that are unique in practice (event, shipment, notification ids) are
not shared: a table of them would cost more than it saves.
"""

from __future__ import annotations

import sys
from typing import TypeVar

T = TypeVar("T")
_intern = sys.intern


def shared(text: T) -> T:
    """The copy of `text` every caller gets (anything but a str is returned as is).

    sys.intern rather than a table of our own: marshal keeps a string's interned mark, so an
    order thawed from the cold store (coldstore.py) shares them again."""
    if type(text) is not str:  # noqa: E721 (exact str: a subclass is kept as given)
        return text
    return _intern(text)


def same_as(candidate: T, *held: object) -> T:
    """The first of `held` equal to `candidate` (so one object is kept), else `candidate`.
    Only for values nobody changes in place once stored."""
    for value in held:
        if value is not None and value == candidate:
            return value  # type: ignore[return-value]
    return candidate
