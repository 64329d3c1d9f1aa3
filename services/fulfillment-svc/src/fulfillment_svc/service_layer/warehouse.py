"""Handlers of the warehouse's commands: stock counts, packing, dispatch, closing short, and reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fulfillment_svc.domain.counting import count_stock
from fulfillment_svc.domain.errors import InvalidInput, ShipmentIdInUse, TrackingNumberInUse
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.service_layer import views
from fulfillment_svc.service_layer.commands import CloseFulfillment, DispatchShipment, PackShipment, SetStock
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.locking import Locked, fill_backorders_from, lock_fulfillment
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork
from fulfillment_svc.service_layer.runner import Reply, event_time

ACTIVE_STATUSES = ("open", "packing", "partially_dispatched")
ALL_STATUSES = (*ACTIVE_STATUSES, "dispatched", "completed", "closed_short", "cancelled")


async def set_stock(ctx: ServiceContext, uow: FulfillmentUnitOfWork, command: SetStock) -> Reply:
    """Set the counted units on hand; what becomes available goes to the oldest backorders first.
    A count below what is reserved is shrinkage: the youngest reservations are backordered again."""
    rows = await uow.stock.lock(command.warehouse_id, [command.sku])
    locked = Locked(command.warehouse_id, rows)
    row = rows[command.sku]
    holders: list[Fulfillment] = []
    if command.on_hand < row.reserved:
        # the stock row is locked: no reservation of this sku can start or end meanwhile
        held = await uow.fulfillments.lock_many(await uow.fulfillments.reserving(command.warehouse_id, command.sku))
        locked.fulfillments.update(held)
        holders = list(held.values())
    counted = count_stock(row, command.on_hand, holders, occurred_at=ctx.clock())
    backordered = [
        {"fulfillment_id": f.fulfillment_id, "order_id": f.order_id, "sku": command.sku, "quantity": quantity}
        for f, quantity in counted.backordered
    ]
    locked.changed.update(f.fulfillment_id for f, _ in counted.backordered)
    filled = await fill_backorders_from(uow, locked, [command.sku])
    await locked.save(uow)
    if counted.adjusted is not None:
        uow.record([counted.adjusted])
    return Reply(
        200,
        {**views.stock_view(row), "backorders_filled": views.allocations_view(filled), "backordered": backordered},
    )


async def pack(ctx: ServiceContext, uow: FulfillmentUnitOfWork, command: PackShipment) -> Reply:
    """Pack reserved units with their documents; 201 for a new package, 200 for a re-pack."""
    occurred_at = event_time(ctx, command.occurred_at)
    fulfillment, locked = await lock_fulfillment(uow, command.fulfillment_id)
    shipment_id = command.shipment_id or ctx.new_id("shp")
    repack = any(s.shipment_id == shipment_id for s in fulfillment.shipments)
    if command.shipment_id is not None and not repack and await uow.fulfillments.shipment_owner(shipment_id):
        raise ShipmentIdInUse(f"shipment id {shipment_id} belongs to another fulfillment", field="shipment_id")
    shipment = fulfillment.pack(
        shipment_id=shipment_id, lines=command.lines, documents=command.documents, occurred_at=occurred_at
    )
    await locked.save(uow)
    body = {
        "fulfillment_id": fulfillment.fulfillment_id,
        "fulfillment_status": fulfillment.status,
        "shipment_id": shipment.shipment_id,
        "lines": [line.to_data() for line in shipment.lines],
        "document_discrepancies": [d.to_data() for d in shipment.document_discrepancies],
        "dispatch_requires_override": shipment.has_discrepancies,
    }
    return Reply(200 if repack else 201, body)


def _packed_skus(shipment_id: str):
    def skus(fulfillment: Fulfillment) -> Iterable[str]:
        for shipment in fulfillment.shipments:
            if shipment.shipment_id == shipment_id and shipment.is_packed:
                return shipment.quantities.keys()
        return ()

    return skus


async def dispatch(ctx: ServiceContext, uow: FulfillmentUnitOfWork, command: DispatchShipment) -> Reply:
    """Hand a packed shipment to a carrier; without an `eta`, one is estimated from the transit time."""
    occurred_at = event_time(ctx, command.occurred_at)
    if command.eta is not None and command.eta < occurred_at:
        raise InvalidInput("eta may not be before the dispatch", field="eta")
    fulfillment, locked = await lock_fulfillment(  # units leave the shelf and their reservation: none freed
        uow, command.fulfillment_id, skus_needed=_packed_skus(command.shipment_id), shipping_only=True
    )
    owner = await uow.fulfillments.tracking_owner(command.carrier, command.tracking_number)
    if owner is not None and owner != command.shipment_id:
        raise TrackingNumberInUse(
            f"{command.carrier} {command.tracking_number} already tracks another shipment", field="tracking_number"
        )
    eta = command.eta or _estimated_eta(ctx, occurred_at)
    shipment = fulfillment.dispatch(
        shipment_id=command.shipment_id,
        carrier=command.carrier,
        tracking_number=command.tracking_number,
        occurred_at=occurred_at,
        stock_by_sku=locked.stock,
        eta=eta,
        shipping_cost=command.shipping_cost,
        override=command.override,
    )
    await locked.save(uow)
    return Reply(
        200,
        {"fulfillment_id": fulfillment.fulfillment_id, "fulfillment_status": fulfillment.status}
        | views.shipment_view(shipment),
    )


def _estimated_eta(ctx: ServiceContext, dispatched_at: datetime) -> datetime:
    # the catalog requires an eta on shipment.dispatched; a dispatch without one gets the usual transit time
    return ctx.policy.calendar.add_business_days(dispatched_at, ctx.policy.default_transit_business_days)


async def close(ctx: ServiceContext, uow: FulfillmentUnitOfWork, command: CloseFulfillment) -> Reply:
    """Send nothing more: reservations go back to stock (and to other backorders); it completes
    now, or when the shipments still with carriers arrive."""
    occurred_at = event_time(ctx, command.occurred_at)
    fulfillment, locked = await lock_fulfillment(
        uow, command.fulfillment_id, skus_needed=lambda f: f.skus_holding_stock()
    )
    released = fulfillment.skus_holding_stock()
    fulfillment.close(reason=command.reason, occurred_at=occurred_at, stock_by_sku=locked.stock)
    await fill_backorders_from(uow, locked, released)
    await locked.save(uow)
    return Reply(200, views.fulfillment_view(fulfillment))


@dataclass(frozen=True)
class Page:
    """A page of a list, and the sort key it ended at when there is more (else None)."""

    items: list[dict[str, Any]]
    last: tuple[str, ...] | None


async def stock_page(
    ctx: ServiceContext, uow: FulfillmentUnitOfWork, warehouse_id: str, *, after_sku: str | None, limit: int
) -> Page:
    """Stock of one warehouse by sku."""
    rows = await uow.stock.page(warehouse_id, after_sku=after_sku, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([views.stock_view(r) for r in rows], (rows[-1].sku,) if more else None)


async def work_queue(
    ctx: ServiceContext,
    uow: FulfillmentUnitOfWork,
    *,
    warehouse_id: str | None,
    order_id: str | None,
    statuses: tuple[str, ...],
    after: tuple[datetime, str] | None,
    limit: int,
) -> Page:
    """Fulfillments oldest ship deadline first (then id), with where the page ended.

    Without a status, the queue holds the work still to do; asking for one order's
    fulfillment finds it whatever its status."""
    if not statuses:
        statuses = ALL_STATUSES if order_id is not None else ACTIVE_STATUSES
    found = await uow.fulfillments.queue(
        warehouse_id=warehouse_id, order_id=order_id, statuses=statuses, after=after, limit=limit + 1
    )
    more = len(found) > limit
    found = found[:limit]
    last = (found[-1].ship_deadline.isoformat(), found[-1].fulfillment_id) if more else None
    return Page([views.fulfillment_view(f) for f in found], last)
