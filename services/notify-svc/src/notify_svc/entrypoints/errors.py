"""Domain errors as problem+json: the status of each category (orderpulse.http.domain_errors)."""

from __future__ import annotations

from fastapi import FastAPI
from orderpulse.http.domain_errors import install_domain_errors, status_by_category

from notify_svc.domain.errors import CONFLICT, INVALID, NOT_FOUND, NotifyError

status_of = status_by_category({INVALID: 422, NOT_FOUND: 404, CONFLICT: 409})


def install_error_handlers(app: FastAPI) -> None:
    install_domain_errors(app, NotifyError, status_of)
