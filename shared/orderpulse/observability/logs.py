"""JSON-lines logging that carries the event id, order id and trace id of the work in hand."""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Mapping
from types import MappingProxyType

import orjson

_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "orderpulse_log_context", default=MappingProxyType({})  # read-only: every change sets a new dict
)
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class LogFields:
    """`with LogFields({...}):` attaches the fields that are not None to every log line inside the
    block. A plain class, not a generator: consumers open one per event (~1 µs instead of ~2.5)."""

    __slots__ = ("_fields", "_token")

    def __init__(self, fields: Mapping[str, str | None]) -> None:
        self._fields = fields
        self._token: contextvars.Token | None = None

    def __enter__(self) -> None:
        added = {k: v for k, v in self._fields.items() if v is not None}
        self._token = _context.set({**_context.get(), **added})

    def __exit__(self, *_exc: object) -> None:
        _context.reset(self._token)


def enter_event_fields(event_id: str | None, order_id: str | None, trace_id: str | None) -> contextvars.Token:
    """`LogFields({"event_id": ..., "order_id": ..., "trace_id": ...}).__enter__()` for a consumed
    event, without its generic walk over the fields (every consumed event opens one, ~0.6 µs less);
    end it with `leave_fields(token)`. A test compares the two."""
    added = {}
    if event_id is not None:
        added["event_id"] = event_id
    if order_id is not None:
        added["order_id"] = order_id
    if trace_id is not None:
        added["trace_id"] = trace_id
    current = _context.get()
    return _context.set({**current, **added} if current else added)


def leave_fields(token: contextvars.Token) -> None:
    _context.reset(token)


def log_context(**fields: str | None) -> LogFields:
    """Attach fields (event_id, order_id, trace_id, ...) to every log line inside the block."""
    return LogFields(fields)


def bind_log_context(**fields: str | None) -> None:
    """Like `log_context` for the rest of the current task (a request, say)."""
    _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
            **_context.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(service: str, level: str = "INFO") -> None:
    import time

    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
