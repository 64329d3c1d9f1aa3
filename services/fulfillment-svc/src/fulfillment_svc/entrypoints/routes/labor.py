"""Labor shifts worked in a warehouse (the denominator of orders per labor hour)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from orderpulse.http.auth import Principal, require_roles

from fulfillment_svc.entrypoints.dependencies import ContextDep, IdempotencyKeyHeader, idempotency, problems, respond
from fulfillment_svc.entrypoints.responses import LaborShiftOut
from fulfillment_svc.entrypoints.schemas import ID_PATTERN, LaborShiftRequest
from fulfillment_svc.service_layer import records
from fulfillment_svc.service_layer.commands import RecordLaborShift
from fulfillment_svc.service_layer.runner import run_command

router = APIRouter(tags=["labor"])


@router.post(
    "/v1/warehouses/{warehouse_id}/labor-shifts",
    response_model=LaborShiftOut,
    status_code=201,
    responses={200: {"description": "the same shift sent again", "model": LaborShiftOut}, **problems(401, 403, 409, 422)},
)
async def record_labor_shift(
    warehouse_id: Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN)],
    principal: Annotated[Principal, Depends(require_roles("warehouse"))],
    body: LaborShiftRequest,
    request: Request,
    ctx: ContextDep,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Record a shift: start, end (at most 24 h later), staff and hourly cost per person.

    Recorded once per shift id: the same figures again answer 200, other figures 409.
    """
    command = RecordLaborShift(
        warehouse_id=warehouse_id,
        shift_id=body.shift_id,
        start=body.start,
        end=body.end,
        staff=body.staff,
        hourly_cost=Decimal(body.hourly_cost),
    )
    reply = await run_command(
        ctx,
        lambda uow: records.record_labor_shift(ctx, uow, command),
        idempotency=idempotency(principal, idempotency_key, request, body),
    )
    return respond(reply)
