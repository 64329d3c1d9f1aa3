"""The CloudEvents 1.0 envelope (structured JSON mode) every OrderPulse event travels in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from orderpulse.rfc3339 import format_time
from orderpulse.unique_bits import unique_bits

TYPE_PREFIX = "orderpulse."
CONTENT_TYPE = "application/cloudevents+json"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """One event as it sits on Kafka: `id` is the dedup key, `time` is event time."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: str = "1.0"
    id: str
    source: str
    type: str = Field(description="full type string, e.g. orderpulse.order.placed.v1")
    subject: str
    time: datetime
    datacontenttype: str = "application/json"
    partitionkey: str
    traceparent: str | None = None
    data: dict[str, Any]

    @property
    def validated_data(self) -> BaseModel:
        """`data` validated against its type's model as consumers validate (fields this version
        does not know yet are dropped), once per envelope: the consumer's poison check validates
        every record it reads, and a handler asking for typed data gets that same model. Raises
        like `registry.validate_data`. (An envelope is never changed after it is made: a copy with
        other data would need a new envelope, not `model_copy`.)

        Kept where `functools.cached_property` would keep it (the instance's `__dict__`, which
        pydantic leaves out of equality and dumps) without its lock, and the catalog imported
        once per process, not again per call: ~1 µs of the ~6.5 µs a consumer spent per event
        here (docs/benchmarks.md)."""
        kept = self.__dict__.get("validated_data")
        if kept is None:
            kept = self.__dict__["validated_data"] = _validate_data(self.type, self.data)
        return kept

    def to_json(self) -> bytes:
        """The envelope as it goes on the wire: its fields in declaration order, `None`s left out,
        `time` as RFC 3339 in UTC with milliseconds."""
        body = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": format_time(self.time),
            "datacontenttype": self.datacontenttype,
            "partitionkey": self.partitionkey,
            "traceparent": self.traceparent,
            "data": self.data,
        }
        if self.traceparent is None:
            del body["traceparent"]
        try:
            # data built by a producer is JSON already; a datetime or a dataclass goes the pydantic way
            return orjson.dumps(body, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
        except TypeError:  # Decimal, datetime, ...: converted by pydantic as before
            body["data"] = self.model_dump(mode="json", include={"data"})["data"]
            return orjson.dumps(body)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        return cls.model_validate(orjson.loads(raw))


def _validate_data(type_str: str, data: dict[str, Any]) -> BaseModel:
    global _registry
    if _registry is None:  # imported on first use: the catalog imports this module
        from orderpulse.events import registry

        _registry = registry
    return _registry.validate_data(type_str, data, tolerate_new_fields=True)


_registry = None


def full_type(short_type: str) -> str:
    """`order.placed.v1` -> `orderpulse.order.placed.v1` (idempotent)."""
    return short_type if short_type.startswith(TYPE_PREFIX) else TYPE_PREFIX + short_type


def new_event_id() -> str:
    """A random (version 4) UUID, unique rather than secret (`orderpulse.unique_bits`): the text
    `str(uuid.UUID(int=bits, version=4))` gives, formatted here without building the `UUID`
    (~1.3 against ~3.5 µs an id; every recorded event takes one; tests compare the two)."""
    digits = "%032x" % ((unique_bits(128) & _NOT_VERSION_OR_VARIANT) | _VERSION_4_RFC_4122)
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# what `uuid.UUID(version=4)` sets: the version nibble (bits 76 – 79) to 4, the variant (bits 62, 63) to RFC 4122's
_VERSION_4_RFC_4122 = (4 << 76) | (0b10 << 62)
_NOT_VERSION_OR_VARIANT = ((1 << 128) - 1) & ~((0xF << 76) | (0b11 << 62))


def new_envelope(
    *,
    type: str,
    source: str,
    key: str,
    data: dict[str, Any],
    time: datetime | None = None,
    traceparent: str | None = None,
    event_id: str | None = None,
) -> Envelope:
    """Build an envelope; `key` becomes both `subject` and `partitionkey`. The arguments are typed
    and the envelope's own, so it is built without a validation pass (`from_json` validates what
    comes in)."""
    # what `Envelope.model_construct(...)` of these arguments builds, without its generic walk over
    # the fields and their defaults (a quarter of recording an event; tests compare the two)
    envelope = _new_envelope(Envelope)
    _set(envelope, "__dict__", {
        "specversion": "1.0",
        "id": event_id or new_event_id(),
        "source": source,
        "type": _FULL_TYPES.get(type) or _full_type_kept(type),
        "subject": key,
        "time": time or utcnow(),
        "datacontenttype": "application/json",
        "partitionkey": key,
        "traceparent": traceparent,
        "data": data,
    })
    _set(envelope, "__pydantic_fields_set__", set(_GIVEN))
    _set(envelope, "__pydantic_extra__", None)
    _set(envelope, "__pydantic_private__", None)
    return envelope


def _full_type_kept(short_type: str) -> str:
    """`full_type`, kept per type given: a producer records a few types many times, and each call
    built the same text again (~0.25 µs a recorded event)."""
    kept = _FULL_TYPES[short_type] = full_type(short_type)
    return kept


_FULL_TYPES: dict[str, str] = {}
_new_envelope = BaseModel.__new__
_set = object.__setattr__
_GIVEN = frozenset(("id", "source", "type", "subject", "time", "partitionkey", "traceparent", "data"))
