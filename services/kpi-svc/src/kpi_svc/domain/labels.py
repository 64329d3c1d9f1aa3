"""Group labels of the bucket cells, kept low-cardinality.

A cell is keyed by `*` (the total) or `<dimension>=<value>`. tier, channel and service_level
are enums (anything else is `other`); carrier and warehouse are kept as given, but only the
first `cap` distinct values per engine: later ones become `other`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .catalog import OTHER
from .facts import OrderFacts, first_dispatch

TOTAL = "*"
CARRIER, WAREHOUSE, TIER, CHANNEL, SERVICE_LEVEL = (
    "carrier", "warehouse", "tier", "channel", "service_level",
)
OPEN_DIMENSIONS = (CARRIER, WAREHOUSE)
_MAX_LABEL_LENGTH = 64


def _clean(raw: object) -> str | None:
    if isinstance(raw, str) and 0 < len(raw) <= _MAX_LABEL_LENGTH and raw.isprintable():
        return raw
    return None


class LabelRegistry:
    """Caps carrier and warehouse values and interns the key tuples that orders share."""

    __slots__ = ("cap", "_admitted", "_keys")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._admitted: dict[str, set[str]] = {CARRIER: set(), WAREHOUSE: set()}
        self._keys: dict[tuple, tuple] = {}

    def open_value(self, dimension: str, raw: object) -> str:
        value = _clean(raw)
        if value is None or value == OTHER:
            return OTHER
        admitted = self._admitted[dimension]
        if value in admitted:
            return value
        if len(admitted) < self.cap:
            admitted.add(value)
            return value
        return OTHER

    def note(self, dimension: str, value: str) -> None:
        """Re-admit a value seen in restored state (restore keeps what was admitted)."""
        if dimension in self._admitted and value != OTHER:
            self._admitted[dimension].add(value)

    def note_cell_keys(self, cell_keys: Iterable[str]) -> None:
        for key in cell_keys:
            dimension, _, value = key.partition("=")
            self.note(dimension, value)

    def order_keys(self, labels: tuple[str, str, str, str, str]) -> tuple[str, ...]:
        """(carrier, warehouse, tier, channel, service_level) -> the shared tuple of cell keys."""
        keys = self._keys.get(labels)
        if keys is None:
            carrier, warehouse, tier, channel, service_level = labels
            keys = self._keys[labels] = (
                TOTAL,
                f"{CARRIER}={carrier}",
                f"{WAREHOUSE}={warehouse}",
                f"{TIER}={tier}",
                f"{CHANNEL}={channel}",
                f"{SERVICE_LEVEL}={service_level}",
            )
        return keys

    def warehouse_keys(self, warehouse: str) -> tuple[str, ...]:
        """Keys of a labor shift: it belongs to a warehouse and to no other group."""
        marker = (warehouse,)
        keys = self._keys.get(marker)
        if keys is None:
            keys = self._keys[marker] = (TOTAL, f"{WAREHOUSE}={warehouse}")
        return keys


def order_labels(registry: LabelRegistry, order: OrderFacts) -> tuple[str, str, str, str, str]:
    """(carrier, warehouse, tier, channel, service_level) of an order: carrier and warehouse of
    its first dispatched shipment (the warehouse of its fulfillment before that)."""
    first = first_dispatch(order)
    if first is not None:
        carrier, warehouse = first[3], first[2]
    else:
        carrier, warehouse = None, order.fulfillment_wh[2] if order.fulfillment_wh else None
    return (
        registry.open_value(CARRIER, carrier),
        registry.open_value(WAREHOUSE, warehouse),
        order.tier,
        order.channel,
        order.service_level,
    )
