"""Domain errors and reused idempotency keys as problem+json: one handler for the whole service."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from orderpulse.http.problems import problem_response

from order_svc.domain.errors import CorrectionLeavesDiscrepancies, DomainError, PaymentsNotConfigured
from order_svc.entrypoints.views import DiscrepancyView

TITLES = {
    "invalid_input": "The request is not valid",
    "order_not_found": "No such order",
    "customer_not_found": "No such customer",
    "unknown_customer": "The order's customer is not known",
    "cannot_cancel_dispatched": "The order has been dispatched",
    "correction_not_allowed": "The order can no longer be corrected",
    "correction_after_packing": "The order has been packed",
    "payments_not_configured": "Payments are not configured",
    "return_not_allowed": "Nothing has shipped to return",
    "return_exceeds_delivered": "More than was delivered",
    "correction_leaves_discrepancies": "The correction leaves discrepancies",
}


def problem_code(error: DomainError) -> str:
    """Domain codes use underscores; problem `type` URIs use hyphens like the platform's."""
    return error.code.replace("_", "-")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, error: DomainError) -> JSONResponse:
        extra = {}
        if isinstance(error, CorrectionLeavesDiscrepancies):
            extra["discrepancies"] = [view.model_dump() for view in DiscrepancyView.all(error.discrepancies)]
        if isinstance(error, PaymentsNotConfigured):
            extra["setting"] = error.setting
        return problem_response(
            error.http_status,
            problem_code(error),
            TITLES.get(error.code, error.code.replace("_", " ").capitalize()),
            error.detail,
            instance=request.url.path,
            field=error.field,
            **extra,
        )

