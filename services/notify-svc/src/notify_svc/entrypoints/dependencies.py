"""What routes share: the service context, the roles, and the problem answers they document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from orderpulse.http.auth import Principal, require_roles

from notify_svc.service_layer.context import ServiceContext


def _context(request: Request) -> ServiceContext:
    return request.app.state.notify


ContextDep = Annotated[ServiceContext, Depends(_context)]
PreferenceWriter = Annotated[Principal, Depends(require_roles("storefront", "support"))]
Support = Annotated[Principal, Depends(require_roles("support"))]
AccountManager = Annotated[Principal, Depends(require_roles("account_manager"))]

_MEANING = {
    400: "Malformed query (e.g. a tampered cursor)",
    401: "Missing or unknown API key",
    403: "The caller's role may not call this route",
    404: "Not found",
    409: "The request conflicts with the current state",
    422: "The request is malformed; `field` names what to fix",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route gives."""
    return {status: {"description": _MEANING[status], "content": {"application/problem+json": {}}} for status in statuses}
