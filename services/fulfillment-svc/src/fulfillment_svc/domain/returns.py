"""Returns received at the warehouse (`POST /v1/returns/{return_id}/receive`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from fulfillment_svc.domain.errors import InvalidReturn, ReturnAlreadyReceived, ReturnExceedsShipped, SkuNotOnOrder
from fulfillment_svc.domain.events import ReturnReceived
from fulfillment_svc.domain.values import (
    SkuQuantity,
    add_quantities,
    allocate_to_order_lines,
    parse_text,
    quantities_by_sku,
    require_aware,
)

if TYPE_CHECKING:
    from fulfillment_svc.domain.fulfillment import Fulfillment

RETURN_CONDITIONS = ("intact", "damaged")


def returnable_quantities(
    lines: Sequence[SkuQuantity],
    condition: str,
    *,
    requested: Mapping[str, int],
    dispatched: Mapping[str, int],
    returned: Mapping[str, int],
) -> dict[str, int]:
    """Check a received return against what left the warehouse; returns its quantity per sku.

    A return may hold at most what was dispatched and not yet returned (dispatched rather than
    delivered, so a parcel the carrier sends back can be received too).
    """
    if condition not in RETURN_CONDITIONS:
        raise InvalidReturn(
            f"condition must be one of {', '.join(RETURN_CONDITIONS)}, got {condition!r}", field="condition"
        )
    if not lines:
        raise InvalidReturn("a return needs at least one line", field="lines")
    quantities = quantities_by_sku(lines)
    for sku, quantity in quantities.items():
        if sku not in requested:
            raise SkuNotOnOrder(f"{sku} is not on this order", field="lines.sku")
        room = dispatched.get(sku, 0) - returned.get(sku, 0)
        if quantity > room:
            raise ReturnExceedsShipped(
                f"{quantity} × {sku} returned but {dispatched.get(sku, 0)} were dispatched and "
                f"{returned.get(sku, 0)} already returned",
                field="lines.quantity",
            )
    return quantities


def restockable(condition: str, quantities: Mapping[str, int]) -> dict[str, int]:
    """What goes back on the shelf: intact returns do, damaged ones do not."""
    return dict(quantities) if condition == "intact" else {}


def receive_return(
    fulfillment: Fulfillment, *, return_id: str, lines: Sequence[SkuQuantity], condition: str, occurred_at: datetime
) -> ReturnReceived:
    """A return arrived at the warehouse; records it on the fulfillment with `return.received`.

    Received whatever the fulfillment's status: goods already dispatched can come back after a
    cancel or a close. Restocking intact units is the caller's step (`restockable`, `Stock.add`).
    """
    parse_text(return_id, field="return_id")
    require_aware(occurred_at, field="occurred_at")
    if return_id in fulfillment.received_return_ids:
        raise ReturnAlreadyReceived(f"return {return_id} was already received", field="return_id")
    quantities = returnable_quantities(
        lines,
        condition,
        requested=fulfillment.requested,
        dispatched=fulfillment.dispatched,
        returned=fulfillment.returned,
    )
    order_lines = allocate_to_order_lines(fulfillment.lines, quantities, already=fulfillment.returned)
    fulfillment.returned = add_quantities(fulfillment.returned, quantities)
    fulfillment.received_return_ids.add(return_id)
    event = ReturnReceived(occurred_at, fulfillment.order_id, return_id, order_lines, condition)
    fulfillment.events.append(event)
    return event
