"""Domain and service errors as problem+json (orderpulse.http.domain_errors)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from orderpulse.http.domain_errors import install_busy_handler, install_domain_errors, status_by_category

from fulfillment_svc.domain.errors import CONFLICT, INVALID, NOT_FOUND, DispatchBlockedByDiscrepancies, FulfillmentError


def _extra(error: FulfillmentError) -> dict[str, Any]:
    if isinstance(error, DispatchBlockedByDiscrepancies):
        return {"document_discrepancies": [d.to_data() for d in error.discrepancies]}
    return {}


def install_error_handlers(app: FastAPI) -> None:
    install_domain_errors(app, FulfillmentError, status_by_category({INVALID: 422, NOT_FOUND: 404, CONFLICT: 409}),
                          extra=_extra)
    install_busy_handler(app)
