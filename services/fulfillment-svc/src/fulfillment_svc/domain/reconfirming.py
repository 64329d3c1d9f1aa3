"""A second `order.confirmed` for an order the warehouse already has (order-svc re-confirms after a
correction): the new lines and address replace the old ones while nothing has been packed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fulfillment_svc.domain.events import FulfillmentCreated, InventoryBackordered
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.stock import Stock, reserve_wanted
from fulfillment_svc.domain.values import quantities_by_sku, require_aware

APPLIED = "applied"
UNCHANGED = "unchanged"
TOO_LATE = "too_late"


def skus_touched(fulfillment: Fulfillment, order: ConfirmedOrder) -> set[str]:
    """Stock rows a re-confirmation may change: the old lines' skus and the new ones."""
    return set(quantities_by_sku(fulfillment.lines)) | set(quantities_by_sku(order.lines))


def reconfirm(
    fulfillment: Fulfillment, order: ConfirmedOrder, *, occurred_at: datetime, stock_by_sku: Mapping[str, Stock]
) -> str:
    """Replace the fulfillment's lines, address, promise and service level with the order's.

    Only while nothing was packed: once a package exists the warehouse has acted on the old
    lines, so the re-confirmation is ignored (`too_late`), as it is after a cancel or close.
    Applying releases every reservation, then reserves and backorders the new lines as a new
    order would (its place among backorders stays its creation time) and records
    `fulfillment.created` again (same id, new lines) plus one `inventory.backordered` per
    short sku. The ship deadline does not move: the order was placed when it was placed.
    Returns `applied`, `unchanged` (same content again: `fulfillment.created` is recorded all the
    same, so every confirmation applied is answered) or `too_late` (no answer: order-svc reads the
    silence followed by a packing fact as "not applied").
    """
    require_aware(occurred_at, field="occurred_at")
    if order.order_id != fulfillment.order_id:
        raise ValueError("a re-confirmation must be for the fulfillment's own order")
    if fulfillment.is_cancelled or fulfillment.is_completed or fulfillment.close_requested_at is not None:
        return TOO_LATE
    if fulfillment.shipments:
        return TOO_LATE
    if (order.lines, order.promised_by, order.service_level, dict(order.ship_to)) == (
        fulfillment.lines,
        fulfillment.promised_by,
        fulfillment.service_level,
        dict(fulfillment.ship_to),
    ):
        # answered all the same: order-svc pairs each confirmation it sent with one answer
        fulfillment.events.append(
            FulfillmentCreated(occurred_at, fulfillment.fulfillment_id, order.order_id, fulfillment.warehouse_id, order.lines)
        )
        return UNCHANGED
    stock = {sku: row for sku, row in stock_by_sku.items() if row.warehouse_id == fulfillment.warehouse_id}
    for sku, quantity in fulfillment.reserved.items():
        if quantity:
            stock[sku].release(quantity)
    reserved, short = reserve_wanted(stock, quantities_by_sku(order.lines), fulfillment.warehouse_id)
    fulfillment.lines = order.lines
    fulfillment.promised_by = order.promised_by
    fulfillment.service_level = order.service_level
    fulfillment.ship_to = dict(order.ship_to)
    fulfillment.reserved = reserved
    fulfillment.backordered = short
    fulfillment.events.append(
        FulfillmentCreated(occurred_at, fulfillment.fulfillment_id, order.order_id, fulfillment.warehouse_id, order.lines)
    )
    for sku, quantity in short.items():
        fulfillment.events.append(InventoryBackordered(occurred_at, order.order_id, fulfillment.warehouse_id, sku, quantity))
    return APPLIED
