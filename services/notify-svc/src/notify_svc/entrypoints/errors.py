"""Domain errors as problem+json: one handler, one mapping."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from orderpulse.http.problems import problem_response

from notify_svc.domain.errors import CONFLICT, INVALID, NOT_FOUND, NotifyError

STATUS_BY_CATEGORY = {INVALID: 422, NOT_FOUND: 404, CONFLICT: 409}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotifyError)
    async def _domain(request: Request, error: NotifyError) -> JSONResponse:
        return problem_response(
            STATUS_BY_CATEGORY.get(error.category, 409),
            error.code.replace("_", "-"),
            error.code.replace("_", " ").capitalize(),
            error.detail,
            instance=request.url.path,
            field=error.field,
        )
