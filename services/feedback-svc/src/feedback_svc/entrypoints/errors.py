"""Domain and service errors as problem+json (orderpulse.http.domain_errors); the HTML survey
pages turn the same errors into readable pages themselves, with the same status."""

from __future__ import annotations

from fastapi import FastAPI
from orderpulse.http.domain_errors import install_busy_handler, install_domain_errors, status_by_category

from feedback_svc.domain.errors import CONFLICT, GONE, INVALID, NOT_FOUND, FeedbackError

status_of = status_by_category({INVALID: 422, NOT_FOUND: 404, CONFLICT: 409, GONE: 410})


def install_error_handlers(app: FastAPI) -> None:
    install_domain_errors(app, FeedbackError, status_of)
    install_busy_handler(app)
