"""A warehouse counts a sku: the new on-hand figure, and what it means for the orders holding it.

A count at or above what is reserved just sets `on_hand`. A count below it is shrinkage: units
the orders were promised are gone from the shelf. The youngest reservations give up their
unpacked units first (the oldest orders keep theirs) and are backordered again, so they take
the next units that come in. Units already packed in boxes waiting for a carrier are not on the
shelf to lose: a count below those is refused. Either way, a changed count is published as
`inventory.adjusted` (reason `count`, or `shrinkage` when it took units from orders).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fulfillment_svc.domain.errors import StockBelowPacked
from fulfillment_svc.domain.events import InventoryAdjusted
from fulfillment_svc.domain.stock import Stock

if TYPE_CHECKING:
    from fulfillment_svc.domain.fulfillment import Fulfillment

COUNT = "count"
SHRINKAGE = "shrinkage"


@dataclass(frozen=True, slots=True)
class CountResult:
    adjusted: InventoryAdjusted | None  # None: the count did not change
    backordered: list[tuple[Fulfillment, int]] = field(default_factory=list)  # shrinkage, in the order taken


def count_stock(stock: Stock, on_hand: int, holders: Sequence[Fulfillment], *, occurred_at: datetime) -> CountResult:
    """Set the counted `on_hand`. `holders` are the (locked) fulfillments holding reservations of
    this sku in this warehouse; their events record what shrinkage backordered."""
    before = stock.on_hand
    backordered: list[tuple[Fulfillment, int]] = []
    short = stock.reserved - on_hand
    reason = COUNT
    if short > 0:
        mine = [f for f in holders if f.warehouse_id == stock.warehouse_id and f.reserved.get(stock.sku, 0)]
        packed = sum(f.packed_not_dispatched.get(stock.sku, 0) for f in mine)
        if on_hand < packed:
            raise StockBelowPacked(
                f"{packed} units of {stock.sku} are packed in boxes waiting for a carrier; a count of {on_hand} "
                "cannot be right. Count the boxes too, or re-pack them first",
                field="on_hand",
            )
        for fulfillment in sorted(mine, key=lambda f: (f.created_at, f.fulfillment_id), reverse=True):
            if short <= 0:
                break
            taken = fulfillment.lose_reservation(stock.sku, short, occurred_at)
            if taken:
                stock.release(taken)
                backordered.append((fulfillment, taken))
                short -= taken
        reason = SHRINKAGE
    stock.set_on_hand(on_hand)
    if stock.on_hand == before:
        return CountResult(None)
    adjusted = InventoryAdjusted(occurred_at, stock.warehouse_id, stock.sku, before, stock.on_hand, reason)
    return CountResult(adjusted, backordered)
