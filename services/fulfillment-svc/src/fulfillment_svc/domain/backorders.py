"""Backorders: units an order is owed because stock was short when it was confirmed.

When stock of a sku is set or increased, what became available goes to the open backorders
of that sku, oldest first (first come, first served). The oldest backorder takes all it can
before the next one gets anything, even if that fills it only in part: a partial fill ships
as its own shipment, and a younger order never overtakes an older one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fulfillment_svc.domain.fulfillment import Fulfillment
    from fulfillment_svc.domain.stock import Stock


@dataclass(frozen=True, slots=True)
class Backorder:
    fulfillment_id: str
    sku: str
    quantity_owed: int
    since: datetime


@dataclass(frozen=True, slots=True)
class Allocation:
    fulfillment_id: str
    sku: str
    quantity: int


def allocate_backorders(available: int, backorders: Iterable[Backorder]) -> tuple[Allocation, ...]:
    """Pure: share `available` units among backorders, oldest first (ties: by fulfillment id)."""
    left = max(available, 0)
    allocations: list[Allocation] = []
    for backorder in sorted(backorders, key=lambda b: (b.since, b.fulfillment_id)):
        if left == 0:
            break
        take = min(left, backorder.quantity_owed)
        if take > 0:
            allocations.append(Allocation(backorder.fulfillment_id, backorder.sku, take))
            left -= take
    return tuple(allocations)


def fill_backorders(stock: Stock, fulfillments: Sequence[Fulfillment]) -> tuple[Allocation, ...]:
    """Give `stock`'s available units to the fulfillments that are owed its sku, and reserve them.

    The caller passes the fulfillments with an open backorder of this sku in this warehouse
    (others are ignored) with the stock row locked; both are changed in place.
    """
    by_id = {f.fulfillment_id: f for f in fulfillments if f.warehouse_id == stock.warehouse_id}
    owed = [b for f in by_id.values() if (b := f.backorder_of(stock.sku)) is not None]
    allocations = allocate_backorders(stock.available, owed)
    for allocation in allocations:
        stock.reserve(allocation.quantity)
        by_id[allocation.fulfillment_id].fill_backorder(allocation.sku, allocation.quantity)
    return allocations


def owed_now(saved: Iterable[Backorder], loaded: Iterable[Fulfillment], warehouse_id: str, sku: str) -> list[Backorder]:
    """The backorders of `sku` at `warehouse_id`: those `saved`, overlaid with the fresher state of
    the fulfillments `loaded` (and perhaps changed) since - one that owes no more drops out."""
    owed = {backorder.fulfillment_id: backorder for backorder in saved}
    for fulfillment in loaded:
        if fulfillment.warehouse_id != warehouse_id:
            continue
        backorder = fulfillment.backorder_of(sku)
        if backorder is None:
            owed.pop(fulfillment.fulfillment_id, None)
        else:
            owed[fulfillment.fulfillment_id] = backorder
    return list(owed.values())
