"""What routes share: the service context, the `Idempotency-Key` header, an optional caller, and
turning replies into responses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from orderpulse.db.idempotency import request_fingerprint
from orderpulse.http.auth import ApiKeyRegistry, Principal
from orderpulse.http.problem_docs import DEFAULT_MEANINGS, problem_responses
from orderpulse.http.problems import Problem
from pydantic import BaseModel

from feedback_svc.service_layer.context import ServiceContext
from feedback_svc.service_layer.runner import IdempotencyRequest, Reply


def _context(request: Request) -> ServiceContext:
    return request.app.state.feedback


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

_optional_bearer = HTTPBearer(auto_error=False, description="an OrderPulse API key (optional on survey answers)")


async def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)]
) -> Principal | None:
    """The caller when a key is sent (an unknown key is still 401); None for a customer with a link."""
    if credentials is None:
        return None
    registry: ApiKeyRegistry = request.app.state.api_keys
    principal = registry.principal_for(credentials.credentials)
    if principal is None:
        raise Problem(401, "unauthorized", "Authentication required", "The API key is not known.", headers={"WWW-Authenticate": "Bearer"})
    return principal


def idempotency(
    principal: Principal, key: str | None, request: Request, body: BaseModel | dict[str, Any] | None
) -> IdempotencyRequest | None:
    if key is None:
        return None
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return IdempotencyRequest(principal.role, key, request_fingerprint(request.method, request.url.path, payload))


def respond(reply: Reply) -> JSONResponse:
    return JSONResponse(reply.body, status_code=reply.status_code)


MEANINGS = {
    **DEFAULT_MEANINGS,
    403: "The caller's role may not call this route (or send this field)",
    404: "Not found (for a survey: an unknown or forged link)",
    409: "The request conflicts with the current state (e.g. a survey answered before)",
    410: "The survey link has expired",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route gives."""
    return problem_responses(*statuses, meanings=MEANINGS)
