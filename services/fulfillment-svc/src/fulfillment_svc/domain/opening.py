"""Opening a fulfillment from a confirmed order: reserve what is in stock, backorder the rest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fulfillment_svc.domain.events import FulfillmentCreated, InventoryBackordered
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.stock import Stock, reserve_wanted
from fulfillment_svc.domain.values import parse_text, quantities_by_sku, require_aware


def open_fulfillment(
    order: ConfirmedOrder,
    *,
    fulfillment_id: str,
    warehouse_id: str,
    ship_deadline: datetime,
    occurred_at: datetime,
    stock_by_sku: Mapping[str, Stock],
) -> Fulfillment:
    """A new fulfillment with `fulfillment.created` and one `inventory.backordered` per short sku.

    `stock_by_sku` holds the warehouse's locked stock rows of the order's skus, which are
    reserved in place; a sku without a row has nothing available (the caller may create the
    row at zero). `ship_deadline` is computed by the caller (two business days after placing).
    """
    parse_text(fulfillment_id, field="fulfillment_id")
    parse_text(warehouse_id, field="warehouse_id")
    require_aware(ship_deadline, field="ship_deadline")
    require_aware(occurred_at, field="occurred_at")
    reserved, short = reserve_wanted(stock_by_sku, quantities_by_sku(order.lines), warehouse_id)
    fulfillment = Fulfillment(
        fulfillment_id=fulfillment_id,
        order_id=order.order_id,
        warehouse_id=warehouse_id,
        lines=order.lines,
        promised_by=order.promised_by,
        ship_deadline=ship_deadline,
        created_at=occurred_at,
        service_level=order.service_level,
        ship_to=dict(order.ship_to),
        reserved=reserved,
        backordered=short,
    )
    fulfillment.events.append(
        FulfillmentCreated(occurred_at, fulfillment_id, order.order_id, warehouse_id, order.lines)
    )
    for sku, missing in short.items():
        fulfillment.events.append(InventoryBackordered(occurred_at, order.order_id, warehouse_id, sku, missing))
    return fulfillment
