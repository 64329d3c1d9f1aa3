"""What routes receive from FastAPI: the wired handlers' context, settings, callers, idempotency keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request, Response
from orderpulse.db.idempotency import request_fingerprint
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.fast_path import FastReply
from orderpulse.http.pagination import decode_cursor
from orderpulse.http.problems import Problem
from orderpulse.observability.logs import bind_log_context
from pydantic import BaseModel

from order_svc.service_layer.handlers import Context
from order_svc.service_layer.ports import IdempotentRequest, Reply
from order_svc.settings import OrderSettings


async def _context(request: Request) -> Context:
    return request.app.state.context


async def _settings(request: Request) -> OrderSettings:
    return request.app.state.settings


ContextDep = Annotated[Context, Depends(_context)]
SettingsDep = Annotated[OrderSettings, Depends(_settings)]

Storefront = Annotated[Principal, Depends(require_roles("storefront"))]
StorefrontOrAdmin = Annotated[Principal, Depends(require_roles("storefront", "admin"))]
StorefrontOrSupport = Annotated[Principal, Depends(require_roles("storefront", "support"))]
Admin = Annotated[Principal, Depends(require_roles("admin"))]
Payments = Annotated[Principal, Depends(require_roles("payments"))]

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
CustomerId = Annotated[str, Path(min_length=1, max_length=64, pattern=_ID_PATTERN, examples=["cus_1042"])]


async def _order_id(
    order_id: Annotated[
        str, Path(min_length=1, max_length=64, pattern=_ID_PATTERN, examples=["ord_01JD3X7Q0R8ZK2M4N6P8S0T2V4"])
    ],
) -> str:
    bind_log_context(order_id=order_id)  # every log line of the request names its order
    return order_id


OrderId = Annotated[str, Depends(_order_id)]
Sku = Annotated[str, Path(min_length=1, max_length=64, pattern=_ID_PATTERN, examples=["MUG-1"])]

_KEY_HELP = "the same key with the same body returns the first response; with another body it is 409"
RequiredIdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=255, description=f"required: {_KEY_HELP}")
]
OptionalIdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255, description=f"optional: {_KEY_HELP}")
]


def idempotent_request(
    request: Request, principal: Principal, key: str | None, body: BaseModel
) -> IdempotentRequest | None:
    """The key, scoped to the caller's role, with a fingerprint of the method, path and parsed body."""
    return idempotent(request.method, request.url.path, principal, key, body)


def idempotent(method: str, path: str, principal: Principal, key: str | None, body: BaseModel) -> IdempotentRequest | None:
    """`idempotent_request` from its parts (a fast endpoint has no `Request`)."""
    if key is None:
        return None
    fingerprint = request_fingerprint(method, path, body.model_dump(mode="json"))
    return IdempotentRequest(principal=principal.role, key=key, fingerprint=fingerprint)


def cursor_time(text: str) -> datetime:
    """A time inside a cursor: as written by `isoformat()`, with its offset."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a cursor time carries its offset")
    return moment


def cursor_position(cursor: str | None, *parts: Callable[[Any], Any]) -> tuple | None:
    """The sort key the previous page ended at, each part read by `parts`; 400 naming `cursor` if it does not fit."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        if len(position) != len(parts):
            raise ValueError("wrong length")
        return tuple(read(value) for read, value in zip(parts, position, strict=True))
    except (TypeError, ValueError):
        raise Problem(
            400, "invalid-cursor", "Invalid cursor", "Pass back `next_cursor` exactly as received.", field="cursor"
        ) from None


def json_reply(status_code: int, view: BaseModel) -> Reply:
    return Reply(status_code=status_code, body=view.model_dump_json().encode())


def respond(reply: Reply) -> Response:
    """The HTTP response of a reply; a replayed one says so in `Idempotent-Replayed`."""
    headers = {"Idempotent-Replayed": "true"} if reply.replayed else None
    return Response(content=reply.body, status_code=reply.status_code, media_type="application/json", headers=headers)


_REPLAYED = ((b"idempotent-replayed", b"true"),)


def fast_respond(reply: Reply) -> FastReply:
    """`respond` for a fast endpoint (orderpulse.http.fast_path): the same status, body and headers."""
    return FastReply(reply.status_code, reply.body, _REPLAYED if reply.replayed else ())
