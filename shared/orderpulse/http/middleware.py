"""ASGI middleware: RED metrics per route template, request log context, body-size limit."""

from __future__ import annotations

import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderpulse.observability import metrics
from orderpulse.observability.logs import bind_log_context
from orderpulse.observability.tracing import continue_trace, set_current_traceparent, trace_id_of


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class ObservabilityMiddleware:
    """Counts and times every request by route template (never by raw path) and binds its trace id."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self._children: dict[tuple[str, str, int], tuple] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        traceparent = continue_trace(_header(scope, b"traceparent"))
        scope.setdefault("state", {})["traceparent"] = traceparent
        set_current_traceparent(traceparent)
        bind_log_context(trace_id=trace_id_of(traceparent))
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            template = getattr(scope.get("route"), "path", None) or "unmatched"
            key = (template, scope["method"], status)
            children = self._children.get(key) or self._children_of(key)
            children[0].inc()
            children[1].observe(time.perf_counter() - started)

    def _children_of(self, key: tuple[str, str, int]) -> tuple:
        # labels() takes a lock and builds its key on every call: look each series up once (few: templates x statuses)
        template, method, status = key
        self._children[key] = (
            metrics.http_requests_total.labels(self.service, template, method, str(status)),
            metrics.http_request_duration_seconds.labels(self.service, template, method),
        )
        return self._children[key]


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit before reading them whole (413 problem+json)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if declared_too_large(scope, self.max_body_bytes):
            await refuse_too_large(send, self.max_body_bytes)
            return
        received = 0
        too_large = refused = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # FastAPI turns an error while reading the body into its own 400: answer 413 instead
            nonlocal refused
            if not too_large:
                await send(message)
            elif not refused and message["type"] == "http.response.start":
                refused = True
                await refuse_too_large(send, self.max_body_bytes)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not refused:
                await refuse_too_large(send, self.max_body_bytes)


def declared_too_large(scope: Scope, max_body_bytes: int) -> bool:
    """Whether the request's Content-Length is over the limit (read nothing then)."""
    declared = _header(scope, b"content-length")
    return declared is not None and declared.isdigit() and int(declared) > max_body_bytes


async def refuse_too_large(send: Send, max_body_bytes: int) -> None:
    """The 413 problem+json answer to a body over the limit."""
    body = orjson.dumps(
        {
            "type": "https://orderpulse.dev/problems/payload-too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"Bodies are limited to {max_body_bytes} bytes; split the request.",
            "field": "body",
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
