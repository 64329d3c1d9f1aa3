"""The CloudEvents 1.0 envelope (structured JSON mode) every OrderPulse event travels in."""

from __future__ import annotations

import os
import random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from orderpulse.rfc3339 import format_time

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
        pydantic leaves out of equality and dumps) without its lock and its call per read, and
        the catalog looked up once per process, not imported again per call: both were a tenth
        of reading a record (docs/benchmarks.md)."""
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
        return read_envelope(orjson.loads(raw))


def _validate_data(type_str: str, data: dict[str, Any]) -> BaseModel:
    global _registry
    if _registry is None:  # imported on first use: the catalog imports this module
        from orderpulse.events import registry

        _registry = registry
    return _registry.validate_data(type_str, data, tolerate_new_fields=True)


_registry = None


# An event time as `format_time` and every producer here write it (RFC 3339, seconds, 0, 3 or 6
# fractional digits, `Z` or an offset): `datetime.fromisoformat` reads exactly these to the same
# value pydantic does. Anything else goes to pydantic, which reads more forms (or says what is wrong).
_PLAIN_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3}|\.\d{6})?(?:Z|[+-]\d\d:\d\d)", re.ASCII)
_FIELDS = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype", "partitionkey",
           "traceparent", "data")
_REQUIRED_TEXT = ("id", "source", "type", "subject", "partitionkey")


def read_envelope(body: Any) -> Envelope:
    """`Envelope.model_validate(body)` of a decoded JSON body, equal in every field: an envelope
    written as our producers write it (every text field a string, `time` as above, `data` an
    object) is built without pydantic's pass (a quarter of reading a record); anything else is
    validated by pydantic, which also raises the `ValidationError` naming what is wrong."""
    if type(body) is not dict or not _is_plain(body):
        return Envelope.model_validate(body)
    try:
        time = datetime.fromisoformat(body["time"])
    except ValueError:  # e.g. the 31st of a 30-day month: pydantic says so
        return Envelope.model_validate(body)
    get = body.get
    envelope = _new_envelope(Envelope)
    _set(envelope, "__dict__", {
        "specversion": get("specversion", "1.0"),
        "id": body["id"],
        "source": body["source"],
        "type": body["type"],
        "subject": body["subject"],
        "time": time,
        "datacontenttype": get("datacontenttype", "application/json"),
        "partitionkey": body["partitionkey"],
        "traceparent": get("traceparent"),
        "data": body["data"],
    })
    _set(envelope, "__pydantic_fields_set__", {name for name in _FIELDS if name in body})
    _set(envelope, "__pydantic_extra__", None)
    _set(envelope, "__pydantic_private__", None)
    return envelope


def _is_plain(body: dict) -> bool:
    for name in _REQUIRED_TEXT:
        if type(body.get(name)) is not str:
            return False
    time = body.get("time")
    if type(time) is not str or _PLAIN_TIME.fullmatch(time) is None or type(body.get("data")) is not dict:
        return False
    return (
        type(body.get("specversion", "")) is str
        and type(body.get("datacontenttype", "")) is str
        and type(body.get("traceparent", "")) in (str, type(None))
    )


def full_type(short_type: str) -> str:
    """`order.placed.v1` -> `orderpulse.order.placed.v1` (idempotent)."""
    return short_type if short_type.startswith(TYPE_PREFIX) else TYPE_PREFIX + short_type


# Event ids must be unique, not secret: a generator of their own, seeded from the system (at start and
# again in a forked child), not a system call per event as `uuid4`. Not the `random` module's: anything
# may seed that one (hypothesis does, for every example), and equal ids would be deduplicated away.
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)


def new_event_id() -> str:
    """A random (version 4) UUID."""
    return str(uuid.UUID(int=_ids.getrandbits(128), version=4))


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
        "type": full_type(type),
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


_new_envelope = BaseModel.__new__
_set = object.__setattr__
_GIVEN = frozenset(("id", "source", "type", "subject", "time", "partitionkey", "traceparent", "data"))
