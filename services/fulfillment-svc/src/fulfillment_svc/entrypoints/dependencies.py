"""What routes share: the service context, the `Idempotency-Key` header, and turning replies into responses."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from orderpulse.db.idempotency import request_fingerprint
from orderpulse.http.auth import Principal
from orderpulse.http.pagination import decode_cursor
from orderpulse.http.problems import Problem
from pydantic import BaseModel

from fulfillment_svc.entrypoints.schemas import ID_PATTERN
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.runner import IdempotencyRequest, Reply


def _context(request: Request) -> ServiceContext:
    return request.app.state.fulfillment


ContextDep = Annotated[ServiceContext, Depends(_context)]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="optional: the same key with the same body returns the first response; with another body, 409",
    ),
]


def idempotency(
    principal: Principal, key: str | None, request: Request, body: BaseModel | dict[str, Any]
) -> IdempotencyRequest | None:
    if key is None:
        return None
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return IdempotencyRequest(principal.role, key, request_fingerprint(request.method, request.url.path, payload))


def cursor_position(cursor: str | None, size: int) -> list[str] | None:
    """The `size` ids a page ended at, from a cursor this service wrote; 400 naming `cursor` otherwise."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    if len(position) != size or not all(isinstance(p, str) and re.fullmatch(ID_PATTERN, p) for p in position):
        raise Problem(400, "invalid-cursor", "Invalid cursor", "Pass back `next_cursor` exactly as received.", field="cursor")
    return position


def respond(reply: Reply) -> JSONResponse:
    return JSONResponse(reply.body, status_code=reply.status_code)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route gives."""
    described = {
        400: "Malformed query (e.g. a tampered cursor)",
        401: "Missing or unknown API key, or a bad signature",
        403: "The caller's role may not call this route",
        404: "Not found",
        409: "The request conflicts with the current state",
        422: "The request is malformed; `field` names what to fix",
        503: "A dependency is unavailable or the request lost a race; retry",
    }
    return {
        status: {
            "description": described[status],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status in statuses
    }
