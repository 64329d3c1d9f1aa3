"""A fast path for a service's busiest routes: plain ASGI in front of FastAPI's routing.

`FastRoutes` answers the requests of a few (method, path) pairs with a hand-written endpoint,
skipping FastAPI's routing, dependency solving, body parsing and response objects (about a third
of a request's CPU on the busiest route, docs/benchmarks.md). The FastAPI route of the same
method and path stays registered: it describes the route in the OpenAPI document, and it answers
every request the fast endpoint declines (`Fallback`), with the same body replayed. A fast
endpoint handles only the well-formed case (known key of an allowed role, JSON that validates);
every refusal (401, 403, 422, ...) is the FastAPI route's, so the answers stay exactly as
documented. Errors a fast endpoint raises once it has accepted a request go through the app's
exception handlers, as a route's do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderpulse.http.auth import ApiKeyRegistry, Principal, role_allowed
from orderpulse.http.middleware import declared_too_large, refuse_too_large

_JSON = b"application/json"
M = TypeVar("M", bound=BaseModel)


class Fallback(Exception):
    """Raised by a fast endpoint before it changes anything: the FastAPI route answers instead."""


@dataclass(frozen=True, slots=True)
class FastReply:
    status_code: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()


class FastRequest:
    """What a fast endpoint reads: the headers, the whole body, the app's state."""

    __slots__ = ("scope", "body")

    def __init__(self, scope: Scope, body: bytes) -> None:
        self.scope = scope
        self.body = body

    @property
    def state(self) -> Any:
        return self.scope["app"].state

    def header(self, name: bytes) -> bytes | None:
        """The first value of header `name` (lower case), as sent."""
        for key, value in self.scope["headers"]:
            if key == name:
                return value
        return None

    def principal(self, *roles: str) -> Principal:
        """The caller, if it sent a known key of one of `roles`; otherwise `Fallback` (the route's 401 or 403)."""
        scheme, credentials = get_authorization_scheme_param((self.header(b"authorization") or b"").decode("latin-1"))
        if not credentials or scheme.lower() != "bearer":
            raise Fallback
        registry: ApiKeyRegistry = self.state.api_keys
        principal = registry.principal_for(credentials)
        if principal is None or not role_allowed(principal, roles):
            raise Fallback
        return principal

    def model(self, model: type[M]) -> M:
        """The body as `model`, if it is declared as plain JSON, parses and validates; otherwise `Fallback`.

        Validated from Python objects as FastAPI validates a body (`json.loads`, then the model):
        whatever orjson parses, `json.loads` parses the same, so an accepted body means the same."""
        declared = self.header(b"content-type")
        if declared is None or declared.split(b";", 1)[0].strip().lower() != _JSON:
            raise Fallback
        try:
            return model.model_validate(orjson.loads(self.body))
        except (orjson.JSONDecodeError, ValidationError):
            raise Fallback from None


FastEndpoint = Callable[[FastRequest], Awaitable[FastReply]]


@dataclass(frozen=True, slots=True)
class _Template:
    """What the metrics label a fast route's requests by, as the router's route would be (`path`)."""

    path: str


class FastRoutes:
    """Pure ASGI middleware: `routes` maps (method, path) to a fast endpoint; everything else passes through.

    It sits just inside the metrics middleware and outside the body-size limit, which it applies
    itself to the requests it reads (the same 413), so a fast request crosses no other layer."""

    def __init__(self, app: ASGIApp, routes: Mapping[tuple[str, str], FastEndpoint], max_body_bytes: int) -> None:
        self.app = app
        self._routes = {key: (endpoint, _Template(key[1])) for key, endpoint in routes.items()}
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        if found is None or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        if declared_too_large(scope, self._max_body_bytes):
            await refuse_too_large(send, self._max_body_bytes)
            return
        try:
            body = await _read_body(receive, self._max_body_bytes)
        except _TooLarge:
            await refuse_too_large(send, self._max_body_bytes)
            return
        if body is None:
            return  # the client went away: nobody to answer
        endpoint, scope["route"] = found
        try:
            reply = await endpoint(FastRequest(scope, body))
        except Fallback:
            del scope["route"]
            await self.app(scope, _replay(body, receive), send)
            return
        except Exception as error:
            await _handled(scope, receive, send, error)
            return
        await send(
            {
                "type": "http.response.start",
                "status": reply.status_code,
                "headers": [*reply.headers, (b"content-length", str(len(reply.body)).encode()), (b"content-type", _JSON)],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})


async def _handled(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    """Answer `error` with the app's handler for it, as its ExceptionMiddleware would (no handler: raise)."""
    handlers = scope["app"].exception_handlers
    for kind in type(error).__mro__:
        if kind in handlers and kind is not Exception:  # the catch-all is the outermost middleware's
            response = await handlers[kind](Request(scope, receive), error)
            await response(scope, receive, send)
            return
    raise error


async def _read_body(receive: Receive, max_body_bytes: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body_bytes:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


class _TooLarge(Exception):
    pass
