"""The warehouse's work: the queue, packing with document checks, dispatch, closing short."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.pagination import CursorQuery, LimitQuery, encode_cursor
from orderpulse.http.problems import Problem

from fulfillment_svc.domain.documents import Document
from fulfillment_svc.domain.values import SkuQuantity
from fulfillment_svc.entrypoints.dependencies import (
    ContextDep,
    IdempotencyKeyHeader,
    cursor_position,
    idempotency,
    problems,
    respond,
)
from fulfillment_svc.entrypoints.responses import DispatchResult, FulfillmentOut, FulfillmentPage, PackResult
from fulfillment_svc.entrypoints.schemas import ID_PATTERN, CloseRequest, DispatchRequest, PackRequest, SkuQuantityIn
from fulfillment_svc.service_layer import warehouse
from fulfillment_svc.service_layer.commands import CloseFulfillment, DispatchShipment, PackShipment
from fulfillment_svc.service_layer.runner import run_command, run_query

router = APIRouter(prefix="/v1/fulfillments", tags=["fulfillments"])

FulfillmentId = Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN, description="the fulfillment, e.g. `ful_3f2c...`")]
Warehouse = Annotated[Principal, Depends(require_roles("warehouse"))]
Status = Literal["open", "packing", "partially_dispatched", "dispatched", "completed", "closed_short", "cancelled"]


def sku_lines(lines: list[SkuQuantityIn]) -> tuple[SkuQuantity, ...]:
    return tuple(SkuQuantity(line.sku, line.quantity) for line in lines)


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    position = cursor_position(cursor, 2)
    if position is None:
        return None
    deadline, fulfillment_id = position
    try:
        return datetime.fromisoformat(deadline), fulfillment_id
    except ValueError:
        raise Problem(
            400, "invalid-cursor", "Invalid cursor", "Pass back `next_cursor` exactly as received.", field="cursor"
        ) from None


@router.get("", response_model=FulfillmentPage, responses=problems(400, 401, 403, 422))
async def work_queue(
    principal: Warehouse,
    ctx: ContextDep,
    warehouse_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=ID_PATTERN, description="only this warehouse")] = None,
    order_id: Annotated[
        str | None, Query(min_length=1, max_length=200, pattern=ID_PATTERN, description="only this order's fulfillment, whatever its status")
    ] = None,
    status: Annotated[
        Status | None,
        Query(description="only this status; by default the work still to do (open, packing, partially_dispatched)"),
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
):
    """The work queue: fulfillments, oldest ship deadline first."""
    after = _after(cursor)
    statuses = (status,) if status else ()
    page = await run_query(
        ctx,
        lambda uow: warehouse.work_queue(
            ctx, uow, warehouse_id=warehouse_id, order_id=order_id, statuses=statuses, after=after, limit=limit
        ),
    )
    return {"items": page.items, "next_cursor": encode_cursor(list(page.last)) if page.last else None}


@router.post(
    "/{fulfillment_id}/pack",
    response_model=PackResult,
    status_code=201,
    responses={200: {"description": "re-packed an existing package", "model": PackResult}, **problems(401, 403, 404, 409, 422)},
)
async def pack(
    fulfillment_id: FulfillmentId,
    principal: Warehouse,
    body: PackRequest,
    request: Request,
    ctx: ContextDep,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Pack reserved units with their documents; the documents are checked against the packed
    lines and the order's prices, and any discrepancy is reported (and blocks dispatch unless
    overridden). Send `shipment_id` of a package not yet dispatched to pack it again."""
    command = PackShipment(
        fulfillment_id=fulfillment_id,
        lines=sku_lines(body.lines),
        documents=tuple(
            Document(
                d.kind, d.ref, sku_lines(d.lines), None if d.total is None else Decimal(d.total)
            )
            for d in body.documents
        ),
        shipment_id=body.shipment_id,
        occurred_at=body.occurred_at,
    )
    reply = await run_command(
        ctx,
        lambda uow: warehouse.pack(ctx, uow, command),
        idempotency=idempotency(principal, idempotency_key, request, body),
    )
    return respond(reply)


@router.post("/{fulfillment_id}/dispatch", response_model=DispatchResult, responses=problems(401, 403, 404, 409, 422))
async def dispatch(
    fulfillment_id: FulfillmentId,
    principal: Warehouse,
    body: DispatchRequest,
    request: Request,
    ctx: ContextDep,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Hand a packed shipment to a carrier. Refused (409 `dispatch-blocked-by-discrepancies`)
    while its documents disagree with it, unless `override` is true."""
    command = DispatchShipment(
        fulfillment_id=fulfillment_id,
        shipment_id=body.shipment_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        eta=body.eta,
        shipping_cost=None if body.shipping_cost is None else Decimal(body.shipping_cost),
        override=body.override,
        occurred_at=body.occurred_at,
    )
    reply = await run_command(
        ctx,
        lambda uow: warehouse.dispatch(ctx, uow, command),
        idempotency=idempotency(principal, idempotency_key, request, body),
    )
    return respond(reply)


@router.post("/{fulfillment_id}/close", response_model=FulfillmentOut, responses=problems(401, 403, 404, 409, 422))
async def close(
    fulfillment_id: FulfillmentId,
    principal: Warehouse,
    body: CloseRequest,
    request: Request,
    ctx: ContextDep,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Close short: nothing more will be sent. Reservations are released and backorders dropped;
    the fulfillment completes now, or when the shipments still with carriers arrive."""
    command = CloseFulfillment(fulfillment_id, body.reason, body.occurred_at)
    reply = await run_command(
        ctx,
        lambda uow: warehouse.close(ctx, uow, command),
        idempotency=idempotency(principal, idempotency_key, request, body),
    )
    return respond(reply)
