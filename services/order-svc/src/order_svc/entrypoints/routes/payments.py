"""The payment provider's callbacks: signed, so only the provider can confirm or hold an order."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from orderpulse.http.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from pydantic import ValidationError

from order_svc.entrypoints.dependencies import (
    ContextDep,
    OptionalIdempotencyKey,
    Payments,
    SettingsDep,
    idempotent_request,
    json_reply,
    respond,
)
from order_svc.entrypoints.problems import problems
from order_svc.entrypoints.schemas import PaymentCallbackBody
from order_svc.entrypoints.views import PaymentRecordedView
from order_svc.service_layer import handlers

router = APIRouter(prefix="/v1/payments", tags=["payments"])

_SIGNED_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PaymentCallbackBody.model_json_schema()}},
    },
    "parameters": [
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "description": '`sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with the payments signing secret '
            "(docs/signatures.md: snippet and test vector)",
            "schema": {"type": "string"},
        },
        {
            "name": TIMESTAMP_HEADER,
            "in": "header",
            "required": True,
            "description": "unix seconds, as signed; signatures older than 5 minutes are refused",
            "schema": {"type": "string"},
        },
    ],
}


@router.post(
    "/callbacks", response_model=PaymentRecordedView, openapi_extra=_SIGNED_BODY, responses=problems(401, 403, 404, 422)
)
async def payment_callback(
    request: Request,
    caller: Payments,
    ctx: ContextDep,
    settings: SettingsDep,
    idempotency_key: OptionalIdempotencyKey = None,
) -> Response:
    """The provider's verdict on an order's payment: `authorized` confirms it, `failed` holds it."""
    raw = await verify_signature(request, caller.role, max_age_s=settings.signature_max_age_s)
    body = _parse(raw)
    reply = await handlers.record_payment(
        ctx,
        body.to_command(),
        idempotency=idempotent_request(request, caller, idempotency_key, body),
        reply=lambda order: json_reply(200, PaymentRecordedView.of(order)),
    )
    return respond(reply)


def _parse(raw: bytes) -> PaymentCallbackBody:
    """The body is read raw to check its signature, so FastAPI does not validate it: do it here, alike."""
    try:
        return PaymentCallbackBody.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(
            [{**item, "loc": ("body", *item["loc"])} for item in error.errors(include_url=False)]
        ) from None
