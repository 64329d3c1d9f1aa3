"""Returned items arriving back at the warehouse."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from orderpulse.http.auth import Principal, require_roles

from fulfillment_svc.domain.values import SkuQuantity
from fulfillment_svc.entrypoints.dependencies import ContextDep, IdempotencyKeyHeader, idempotency, problems, respond
from fulfillment_svc.entrypoints.responses import ReturnReceipt
from fulfillment_svc.entrypoints.schemas import ID_PATTERN, ReturnReceiveRequest
from fulfillment_svc.service_layer import records
from fulfillment_svc.service_layer.commands import ReceiveReturn
from fulfillment_svc.service_layer.runner import run_command

router = APIRouter(tags=["returns"])


@router.post(
    "/v1/returns/{return_id}/receive",
    response_model=ReturnReceipt,
    status_code=201,
    responses={200: {"description": "the same return sent again", "model": ReturnReceipt}, **problems(401, 403, 404, 409, 422)},
)
async def receive_return(
    return_id: Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN, description="the id order-svc gave the return")],
    principal: Annotated[Principal, Depends(require_roles("warehouse"))],
    body: ReturnReceiveRequest,
    request: Request,
    ctx: ContextDep,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Receive returned items of the order the return was requested for (order-svc's
    `return.requested`; 404 `return-not-found` until it has arrived, unless the body names the
    order); intact units go back on the shelf and to the oldest backorders. At most what was
    dispatched and not yet returned."""
    command = ReceiveReturn(
        return_id=return_id,
        order_id=body.order_id,
        lines=tuple(SkuQuantity(line.sku, line.quantity) for line in body.lines),
        condition=body.condition,
        occurred_at=body.occurred_at,
    )
    reply = await run_command(
        ctx,
        lambda uow: records.receive_return(ctx, uow, command),
        idempotency=idempotency(principal, idempotency_key, request, body),
    )
    return respond(reply)
