"""W3C trace context: make or continue a `traceparent`, and read the trace id from it."""

from __future__ import annotations

import contextvars
import re

from orderpulse.unique_bits import unique_bits

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def new_traceparent(trace_id: str | None = None) -> str:
    # ids need to be unique, not secret (`orderpulse.unique_bits`), as OpenTelemetry's id generator
    span_id = unique_bits(64) or 1
    return f"00-{trace_id or f'{unique_bits(128) or 1:032x}'}-{span_id:016x}-01"


def trace_id_of(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


def continue_trace(incoming: str | None) -> str:
    """A child span id under the incoming trace, or a new trace when there is none or it is malformed."""
    return new_traceparent(trace_id_of(incoming))

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("orderpulse_traceparent", default=None)


def set_current_traceparent(traceparent: str | None) -> None:
    """The trace the work in hand belongs to (a request's, or the consumed event's)."""
    _current.set(traceparent)


def current_traceparent() -> str | None:
    return _current.get()
