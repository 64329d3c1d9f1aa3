"""Labor shifts and returns received: facts recorded once per id.

Sending the same shift (or return) again with the same figures answers what was recorded the
first time (200) and publishes nothing; other figures under a used id are a 409. A return's
order comes from order-svc's `return.requested`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fulfillment_svc.domain.errors import (
    FulfillmentNotFound,
    InvalidInput,
    InvalidReturn,
    ReturnAlreadyReceived,
    ReturnNotFound,
    ShiftAlreadyRecorded,
)
from fulfillment_svc.domain.events import InventoryAdjusted
from fulfillment_svc.domain.labor import record_shift
from fulfillment_svc.domain.returns import receive_return as receive_on_fulfillment
from fulfillment_svc.domain.returns import restockable
from fulfillment_svc.domain.values import parse_text, quantities_by_sku
from fulfillment_svc.service_layer import views
from fulfillment_svc.service_layer.commands import ReceiveReturn, RecordLaborShift
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.locking import fill_backorders_from, lock_fulfillment
from fulfillment_svc.service_layer.ports import (
    FulfillmentUnitOfWork,
    ReceivedReturn,
    RecordedShift,
    RequestedReturn,
    TransientConflict,
)
from fulfillment_svc.service_layer.runner import Reply, event_time


async def record_labor_shift(ctx: ServiceContext, uow: FulfillmentUnitOfWork, command: RecordLaborShift) -> Reply:
    event = record_shift(
        warehouse_id=command.warehouse_id,
        shift_id=command.shift_id,
        start=command.start,
        end=command.end,
        staff=command.staff,
        hourly_cost=command.hourly_cost,
    )
    shift = RecordedShift(event.warehouse_id, event.shift_id, event.start, event.end, event.staff, event.hourly_cost)
    if await uow.labor.add(event):
        uow.record([event])
        return Reply(201, views.shift_view(shift))
    earlier = await uow.labor.get(command.warehouse_id, command.shift_id)
    if earlier != shift:
        raise ShiftAlreadyRecorded(
            f"shift {command.shift_id} of {command.warehouse_id} was recorded with other figures", field="shift_id"
        )
    return Reply(200, views.shift_view(earlier))


async def receive_return(ctx: ServiceContext, uow: FulfillmentUnitOfWork, command: ReceiveReturn) -> Reply:
    """Receive returned items against the order's fulfillment; intact units go back on the shelf
    (and to the oldest backorders of their sku)."""
    occurred_at = event_time(ctx, command.occurred_at)
    lines = [line.to_data() for line in command.lines]
    order_id = await _order_of_return(uow, command)
    earlier = await uow.returns.get(command.return_id)
    if earlier is not None:
        if (earlier.order_id, earlier.condition, list(earlier.lines)) != (order_id, command.condition, lines):
            raise ReturnAlreadyReceived(f"return {command.return_id} was already received", field="return_id")
        return Reply(200, views.return_view(earlier))
    existing = await uow.fulfillments.get_by_order(order_id)
    if existing is None:
        raise FulfillmentNotFound(f"order {order_id} has no fulfillment here", field="order_id")
    restock = restockable(command.condition, quantities_by_sku(command.lines))
    fulfillment, locked = await lock_fulfillment(uow, existing.fulfillment_id, skus_needed=lambda _: restock.keys())
    receive_on_fulfillment(
        fulfillment,
        return_id=command.return_id,
        lines=command.lines,
        condition=command.condition,
        occurred_at=occurred_at,
    )
    adjustments = []
    for sku, quantity in restock.items():
        row = locked.stock[sku]
        before = row.on_hand
        row.add(quantity)
        adjustments.append(InventoryAdjusted(occurred_at, row.warehouse_id, sku, before, row.on_hand, "return"))
    await fill_backorders_from(uow, locked, restock)
    received = ReceivedReturn(
        return_id=command.return_id,
        order_id=order_id,
        fulfillment_id=fulfillment.fulfillment_id,
        condition=command.condition,
        lines=tuple(lines),
        restocked=tuple({"sku": sku, "quantity": q} for sku, q in sorted(restock.items())),
        occurred_at=occurred_at,
    )
    if not await uow.returns.add(received):
        raise TransientConflict("the return was received concurrently")  # the retry answers as a replay
    await locked.save(uow)
    uow.record(adjustments)
    return Reply(201, views.return_view(received))


async def _order_of_return(uow: FulfillmentUnitOfWork, command: ReceiveReturn) -> str:
    """The order a return belongs to, from `return.requested`; an `order_id` the caller sent must agree."""
    requested = await uow.requested_returns.order_of(command.return_id)
    if requested is not None:
        if command.order_id is not None and command.order_id != requested:
            raise InvalidInput(
                f"return {command.return_id} was requested for order {requested}, not {command.order_id}", field="order_id"
            )
        return requested
    if command.order_id is None:
        raise ReturnNotFound(
            f"no return {command.return_id} was requested (order-svc's return.requested has not arrived)",
            field="return_id",
        )
    return command.order_id


async def return_requested(uow: FulfillmentUnitOfWork, data: Mapping[str, Any], occurred_at: datetime) -> None:
    """Remember which order a requested return belongs to, for its receipt."""
    await uow.requested_returns.add_many([requested_return(data, occurred_at)])


async def returns_requested(uow: FulfillmentUnitOfWork, requested: Sequence[RequestedReturn]) -> None:
    """`return_requested` for many (read with `requested_return`), in one statement."""
    await uow.requested_returns.add_many(requested)


def requested_return(data: Mapping[str, Any], occurred_at: datetime) -> RequestedReturn:
    """The `return.requested` event's data, checked."""
    lines = data.get("lines")
    if not isinstance(lines, list):
        raise InvalidReturn("lines must be a list", field="lines")
    return RequestedReturn(
        return_id=parse_text(data.get("return_id"), field="return_id"),
        order_id=parse_text(data.get("order_id"), field="order_id"),
        lines=tuple(dict(line) for line in lines),
        reason=str(data.get("reason") or ""),
        kind=str(data.get("kind") or ""),
        requested_at=occurred_at,
    )
