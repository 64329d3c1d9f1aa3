"""RFC 9457 problem details for every failure, validation included."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from orderpulse.db.errors import DRIVER_ERRORS, IdempotencyKeyReused, is_transient_error, is_unavailable_error

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://orderpulse.dev/problems/"


class Problem(Exception):
    """Raise from anywhere in a request: it becomes a problem+json answer."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.field = field
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if field:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple | list) -> str:
    parts = [str(part) for part in loc if part not in ("body",)]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path or "body"


def _error_field(item: dict) -> str:
    # a JSON syntax error's location is a character position, not a field: the body as a whole is wrong
    if item.get("type") == "json_invalid":
        return "body"
    return _field_path(item.get("loc", ()))


_STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "gone",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def unavailable_response(request: Request, detail: str, retry_after_s: int) -> JSONResponse:
    return problem_response(
        503, "unavailable", "A dependency is unavailable", detail, instance=request.url.path,
        headers={"Retry-After": str(retry_after_s)},
    )


def install_problem_handlers(app: FastAPI, database_errors: tuple[type[BaseException], ...] = DRIVER_ERRORS) -> None:
    """`database_errors`: what the service's database layer raises when the database is away or a
    transaction met another (its platform's `database_errors`): a 503 when it means that."""
    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(
            error.status,
            error.code,
            error.title,
            error.detail,
            instance=request.url.path,
            field=error.field,
            headers=error.headers,
            **error.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _error_field(item), "message": item.get("msg", "invalid"), "in": str(item.get("loc", ("body",))[0])}
            for item in error.errors()
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        return problem_response(
            422,
            "validation-error",
            "The request is not valid",
            f"{first['field']}: {first['message']}",
            instance=request.url.path,
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(IdempotencyKeyReused)
    async def _key_reused(request: Request, _error: IdempotencyKeyReused) -> JSONResponse:
        return problem_response(
            409,
            "idempotency-key-reused",
            "Idempotency-Key already used for another request",
            "This key came before with a different request body; use a new key for a new request.",
            instance=request.url.path,
            field="Idempotency-Key",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(error.status_code, f"http-{error.status_code}")
        detail = error.detail if isinstance(error.detail, str) else None
        return problem_response(
            error.status_code, code, detail or code.replace("-", " "), detail, instance=request.url.path,
            headers=getattr(error, "headers", None),
        )

    async def _database_trouble(request: Request, error: Exception) -> JSONResponse:
        # Handled here, inside the middleware, so the RED metrics count the 503 (an `Exception`
        # handler runs outside them, where every failure looks like a 500).
        if is_unavailable_error(error):
            log.warning("database unavailable", extra={"path": request.url.path, "error": type(error).__name__})
            return unavailable_response(request, "The database cannot be reached right now; retry after the given delay.", 5)
        if is_transient_error(error):
            log.warning("transient database conflict", extra={"path": request.url.path, "error": type(error).__name__})
            return unavailable_response(request, "The request met a conflicting one (deadlock or serialization "
                                                 "failure) and was rolled back; retry it.", 1)
        raise error

    for database_error in database_errors:
        app.add_exception_handler(database_error, _database_trouble)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        if is_transient_error(error):
            return unavailable_response(request, "A dependency is unavailable; retry after the given delay.", 5)
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "internal", "Internal error", "An unexpected error occurred; it has been logged.")
