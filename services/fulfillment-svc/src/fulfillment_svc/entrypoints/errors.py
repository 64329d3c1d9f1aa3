"""Domain and service errors as problem+json: one handler, one mapping."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from orderpulse.http.problems import problem_response

from fulfillment_svc.domain.errors import CONFLICT, INVALID, NOT_FOUND, DispatchBlockedByDiscrepancies, FulfillmentError
from fulfillment_svc.service_layer.ports import TransientConflict

STATUS_BY_CATEGORY = {INVALID: 422, NOT_FOUND: 404, CONFLICT: 409}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FulfillmentError)
    async def _domain(request: Request, error: FulfillmentError) -> JSONResponse:
        extra = {}
        if isinstance(error, DispatchBlockedByDiscrepancies):
            extra["document_discrepancies"] = [d.to_data() for d in error.discrepancies]
        return problem_response(
            STATUS_BY_CATEGORY.get(error.category, 409),
            error.code.replace("_", "-"),
            error.code.replace("_", " ").capitalize(),
            error.detail,
            instance=request.url.path,
            field=error.field,
            **extra,
        )


    @app.exception_handler(TransientConflict)
    async def _busy(request: Request, _error: TransientConflict) -> JSONResponse:
        return problem_response(
            503,
            "busy",
            "Concurrent updates",
            "The request kept colliding with concurrent updates; retry after the given delay.",
            instance=request.url.path,
            headers={"Retry-After": "1"},
        )
