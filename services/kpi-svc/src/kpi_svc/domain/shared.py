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

from typing import TypeVar

T = TypeVar("T")

_TABLE_LIMIT = 100_000  # distinct strings; the table starts over when full (a copy is never wrong)
_table: dict[str, str] = {}


def shared(text: T) -> T:
    """The copy of `text` every caller gets (anything but a str is returned as is)."""
    if type(text) is not str:  # noqa: E721 (exact str: a subclass is kept as given)
        return text
    copy = _table.get(text)
    if copy is None:
        if len(_table) >= _TABLE_LIMIT:
            _table.clear()
        copy = _table[text] = text
    return copy


def same_as(candidate: T, *held: object) -> T:
    """The first of `held` equal to `candidate` (so one object is kept), else `candidate`.
    Only for values nobody changes in place once stored."""
    for value in held:
        if value is not None and value == candidate:
            return value  # type: ignore[return-value]
    return candidate
