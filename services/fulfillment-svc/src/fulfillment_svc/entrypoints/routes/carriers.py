"""Carrier callbacks: signed batches of scans, each answered accepted, duplicate or rejected."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.problems import Problem
from orderpulse.http.signatures import verify_signature
from pydantic import ValidationError

from fulfillment_svc.domain.scans import CarrierScan, UnreadableScan
from fulfillment_svc.domain.values import SkuQuantity
from fulfillment_svc.entrypoints.dependencies import ContextDep, problems, respond
from fulfillment_svc.entrypoints.responses import ScanResults
from fulfillment_svc.entrypoints.schemas import CarrierBatchIn, CarrierScanIn
from fulfillment_svc.service_layer import carriers
from fulfillment_svc.service_layer.commands import RecordCarrierScans
from fulfillment_svc.service_layer.runner import run_command

router = APIRouter(tags=["carriers"])

CarrierPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="the carrier's code, e.g. `dhl`")]

BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CarrierEventBatch"}}},
    },
    "parameters": [
        {"name": "X-Signature", "in": "header", "required": True, "schema": {"type": "string"},
         "description": "`sha256=<hex HMAC-SHA256 of \"<timestamp>.<raw body>\">` with the carrier's secret "
                        "(docs/signatures.md: snippet and test vector)"},
        {"name": "X-Signature-Timestamp", "in": "header", "required": True, "schema": {"type": "string"},
         "description": "unix seconds, as signed; signatures older than 5 minutes are refused"},
    ],
}


@router.post(
    "/v1/carriers/{carrier}/events",
    response_model=ScanResults,
    responses=problems(401, 403, 422),
    openapi_extra=BATCH_BODY,
)
async def report_scans(
    carrier: CarrierPath,
    principal: Annotated[Principal, Depends(require_roles("carrier:*"))],
    request: Request,
    ctx: ContextDep,
):
    """A carrier reports a batch of scans of its own shipments (signed).

    Each scan is answered in order: `accepted` (applied, or `code: recorded_not_applied` when it
    arrived after a later state), `duplicate` (this carrier sent that `event_id` before) or
    `rejected` with a `code` and `reason` (e.g. `unknown_tracking_number`, also for another
    carrier's parcels, `unknown_status`, `occurred_in_future`); the other scans are applied.
    Only a body that is not a batch at all (`{"events": [...]}`, 1–500 items) is refused (422).
    """
    if principal.carrier != carrier:
        raise Problem(403, "forbidden", "Not this carrier's callback", f"Role {principal.role!r} may report only as its own carrier.")
    raw = await verify_signature(request, principal.role, max_age_s=_signature_max_age_s(request))
    try:
        batch = CarrierBatchIn.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from None
    command = RecordCarrierScans(carrier=carrier, scans=tuple(_scan(index, item) for index, item in enumerate(batch.events)))
    return respond(await run_command(ctx, lambda uow: carriers.record_scans(ctx, uow, command)))


# The first field at fault names the rejection's code; others are `invalid_scan`.
_CODES = {
    "event_id": "missing_event_id",
    "status": "unknown_status",
    "occurred_at": "invalid_occurred_at",
    "eta": "invalid_eta",
    "condition": "invalid_condition",
    "lines": "invalid_lines",
    "reason": "invalid_reason",
}


def _scan(index: int, item: Any) -> CarrierScan | UnreadableScan:
    """One item of the batch as a scan, or why it is not one (answered `rejected` in its place)."""
    try:
        scan = CarrierScanIn.model_validate(item)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        code = _CODES.get(field, "invalid_scan")
        if field == "occurred_at" and "future" in first["msg"]:
            code = "occurred_in_future"
        where = ".".join(str(part) for part in (f"events[{index}]", *first["loc"]))
        event_id = item.get("event_id") if isinstance(item, dict) else None
        return UnreadableScan(event_id if isinstance(event_id, str) else None, code, f"{where}: {first['msg']}")
    return CarrierScan(
        event_id=scan.event_id,
        tracking_number=scan.tracking_number,
        status=scan.status,
        occurred_at=scan.occurred_at,
        location=scan.location,
        eta=scan.eta,
        reason=scan.reason,
        condition=scan.condition,
        lines=None if scan.lines is None else tuple(SkuQuantity(line.sku, line.quantity) for line in scan.lines),
    )


def _signature_max_age_s(request: Request) -> int:
    return request.app.state.settings.signature_max_age_s
