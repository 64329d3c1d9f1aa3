"""Domain errors as problem+json, with a title per code (orderpulse.http.domain_errors)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from orderpulse.http.domain_errors import install_busy_handler, install_domain_errors

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


def _extra(error: DomainError) -> dict[str, Any]:
    if isinstance(error, CorrectionLeavesDiscrepancies):
        return {"discrepancies": [view.model_dump() for view in DiscrepancyView.all(error.discrepancies)]}
    if isinstance(error, PaymentsNotConfigured):
        return {"setting": error.setting}
    return {}


def install_error_handlers(app: FastAPI) -> None:
    install_domain_errors(app, DomainError, lambda error: error.http_status, titles=TITLES, extra=_extra)
    install_busy_handler(app)
