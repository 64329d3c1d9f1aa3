"""What routes share: the service context, the `Idempotency-Key` header, and turning replies into responses."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from orderpulse.db.idempotency import request_fingerprint
from orderpulse.http.auth import Principal
from orderpulse.http.pagination import decode_cursor
from orderpulse.http.problem_docs import DEFAULT_MEANINGS, problem_responses
from orderpulse.http.problems import Problem
from pydantic import BaseModel

from fulfillment_svc.entrypoints.schemas import ID_PATTERN
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.runner import IdempotencyRequest, Reply


async def _context(request: Request) -> ServiceContext:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request
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


MEANINGS = {**DEFAULT_MEANINGS, 401: "Missing or unknown API key, or a bad signature"}


def respond(reply: Reply) -> JSONResponse:
    return JSONResponse(reply.body, status_code=reply.status_code)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route gives."""
    return problem_responses(*statuses, meanings=MEANINGS)
