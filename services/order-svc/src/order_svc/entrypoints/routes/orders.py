"""Orders: placing, reading, correcting, cancelling, returns, and the lifecycle timeline."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from orderpulse.http.fast_path import Fallback, FastReply, FastRequest
from orderpulse.http.pagination import CursorQuery, LimitQuery, Page, encode_cursor

from order_svc.entrypoints.dependencies import (
    ContextDep,
    OptionalIdempotencyKey,
    OrderId,
    RequiredIdempotencyKey,
    Storefront,
    StorefrontOrSupport,
    cursor_position,
    cursor_time,
    fast_respond,
    idempotent,
    idempotent_request,
    json_reply,
    respond,
)
from order_svc.entrypoints.order_reply import order_json
from order_svc.entrypoints.problems import problems
from order_svc.entrypoints.schemas import CancelOrderBody, CorrectOrderBody, PlaceOrderBody, RequestReturnBody
from order_svc.entrypoints.views import OrderView, ReturnView, TimelineEntryView
from order_svc.service_layer import handlers, queries
from order_svc.service_layer.ports import Reply

router = APIRouter(prefix="/v1/orders", tags=["orders"])


def _order_reply(status_code: int):
    return lambda order: json_reply(status_code, OrderView.of(order))


def _placed(order) -> Reply:
    return Reply(status_code=201, body=order_json(order))


@router.post("", status_code=201, response_model=OrderView, responses=problems(401, 403, 409, 422))
async def place_order(
    request: Request, body: PlaceOrderBody, caller: Storefront, idempotency_key: RequiredIdempotencyKey
) -> Response:
    """Place an order. Every entry check runs: a discrepancy holds the order (`discrepancies`) instead of refusing it."""
    reply = await handlers.place_order(
        request.app.state.context,  # not a dependency: the busiest route solves as few as it can
        body.to_command(),
        idempotency=idempotent_request(request, caller, idempotency_key, body),
        reply=_placed,
    )
    return respond(reply)


async def place_order_fast(request: FastRequest) -> FastReply:
    """`place_order` for a well-formed request, in plain ASGI (orderpulse.http.fast_path); the route
    above answers every other (its 401, 403 and 422 included), with the same body."""
    caller = request.principal("storefront")
    key = request.header(b"idempotency-key")
    if key is None or not 1 <= len(key) <= 255:
        raise Fallback
    body = request.model(PlaceOrderBody)
    reply = await handlers.place_order(
        request.state.context,
        body.to_command(),
        idempotency=idempotent("POST", request.scope["path"], caller, key.decode("latin-1"), body),
        reply=_placed,
    )
    return fast_respond(reply)


@router.get("/{order_id}", response_model=OrderView, responses=problems(401, 403, 404, 422))
async def get_order(order_id: OrderId, _caller: StorefrontOrSupport, ctx: ContextDep) -> OrderView:
    """The order as it stands: status, lines, shipments and the invoice in force."""
    return OrderView.of(await queries.order(ctx, order_id))


@router.get("/{order_id}/timeline", response_model=Page[TimelineEntryView], responses=problems(400, 401, 403, 404, 422))
async def get_timeline(
    order_id: OrderId,
    _caller: StorefrontOrSupport,
    ctx: ContextDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[TimelineEntryView]:
    """Every lifecycle event of the order from every service, in event-time order."""
    entries = await queries.order_timeline(ctx, order_id, limit=limit, after=cursor_position(cursor, cursor_time, int))
    next_cursor = None
    if len(entries) == limit:
        last = entries[-1]
        next_cursor = encode_cursor([last.occurred_at.isoformat(), last.position])
    return Page[TimelineEntryView](items=[TimelineEntryView.of(entry) for entry in entries], next_cursor=next_cursor)


@router.post("/{order_id}/corrections", response_model=OrderView, responses=problems(401, 403, 404, 409, 422))
async def correct_order(
    request: Request,
    order_id: OrderId,
    body: CorrectOrderBody,
    caller: StorefrontOrSupport,
    ctx: ContextDep,
    idempotency_key: OptionalIdempotencyKey = None,
) -> Response:
    """Fix the lines and/or address of an order until it is packed; releases a hold when nothing is left.

    A correction of an order a warehouse has is `awaiting_warehouse` until fulfillment-svc applies
    it (`applied`); one that reaches the warehouse after packing becomes `not_applied` and the
    order is restored to what ships. Once order-svc knows the order was packed: 409
    `correction-after-packing`."""
    reply = await handlers.correct_order(
        ctx,
        body.to_command(order_id),
        idempotency=idempotent_request(request, caller, idempotency_key, body),
        reply=_order_reply(200),
    )
    return respond(reply)


@router.post("/{order_id}/cancel", response_model=OrderView, responses=problems(401, 403, 404, 409, 422))
async def cancel_order(
    request: Request,
    order_id: OrderId,
    body: CancelOrderBody,
    caller: StorefrontOrSupport,
    ctx: ContextDep,
    idempotency_key: OptionalIdempotencyKey = None,
) -> Response:
    """Cancel the order; refused (409) once anything has been dispatched."""
    reply = await handlers.cancel_order(
        ctx,
        body.to_command(order_id, cancelled_by=caller.role),
        idempotency=idempotent_request(request, caller, idempotency_key, body),
        reply=_order_reply(200),
    )
    return respond(reply)


@router.post(
    "/{order_id}/returns", status_code=201, response_model=ReturnView, responses=problems(401, 403, 404, 409, 422)
)
async def request_return(
    request: Request,
    order_id: OrderId,
    body: RequestReturnBody,
    caller: StorefrontOrSupport,
    ctx: ContextDep,
    idempotency_key: OptionalIdempotencyKey = None,
) -> Response:
    """Ask to return delivered units (at most what was delivered and not already asked back)."""
    reply = await handlers.request_return(
        ctx,
        body.to_command(order_id),
        idempotency=idempotent_request(request, caller, idempotency_key, body),
        reply=lambda order, created: json_reply(201, ReturnView.of(order.order_id, created)),
    )
    return respond(reply)
