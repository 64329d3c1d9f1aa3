"""Domain and service errors as problem+json: one handler, one mapping (the HTML survey pages
turn the same errors into readable pages themselves)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from orderpulse.http.problems import problem_response

from feedback_svc.domain.errors import CONFLICT, GONE, INVALID, NOT_FOUND, FeedbackError
from feedback_svc.service_layer.ports import TransientConflict

STATUS_BY_CATEGORY = {INVALID: 422, NOT_FOUND: 404, CONFLICT: 409, GONE: 410}


def status_of(error: FeedbackError) -> int:
    return STATUS_BY_CATEGORY.get(error.category, 409)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FeedbackError)
    async def _domain(request: Request, error: FeedbackError) -> JSONResponse:
        return problem_response(
            status_of(error),
            error.code.replace("_", "-"),
            error.code.replace("_", " ").capitalize(),
            error.detail,
            instance=request.url.path,
            field=error.field,
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
