"""The event catalog: every event type, its topic, its `data` model and its key field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator

from . import customers, feedback, fulfillment, notifications, orders, topics
from .envelope import TYPE_PREFIX, full_type


class UnknownEventType(KeyError):
    """The type string is not in the catalog (events.md)."""


@dataclass(frozen=True)
class EventType:
    """One catalog entry. `type` is the full string, e.g. `orderpulse.order.placed.v1`."""

    type: str
    topic: str
    model: type[BaseModel]
    key_field: str

    @property
    def short_type(self) -> str:
        return self.type.removeprefix(TYPE_PREFIX)

    def key_of(self, data: Mapping[str, Any] | BaseModel) -> str:
        """The record key (= envelope `partitionkey`) for this event's data."""
        if isinstance(data, BaseModel):
            return getattr(data, self.key_field)
        return data[self.key_field]


_TOPIC_MODULES = (
    (topics.CUSTOMERS, customers),
    (topics.ORDERS, orders),
    (topics.FULFILLMENT, fulfillment),
    (topics.NOTIFICATIONS, notifications),
    (topics.FEEDBACK, feedback),
)

# Records are keyed by order id unless the catalog says otherwise.
_KEY_FIELD_EXCEPTIONS = {
    "customer.upserted.v1": "customer_id",
    "labor.shift_recorded.v1": "warehouse_id",
    "inventory.adjusted.v1": "warehouse_id",
}


def _build_catalog() -> Mapping[str, EventType]:
    catalog: dict[str, EventType] = {}
    for topic, module in _TOPIC_MODULES:
        for short, model in module.EVENTS.items():
            key_field = _KEY_FIELD_EXCEPTIONS.get(short, "order_id")
            if key_field not in model.model_fields:
                raise TypeError(f"{model.__name__} has no key field {key_field!r}")
            catalog[full_type(short)] = EventType(full_type(short), topic, model, key_field)
    return MappingProxyType(catalog)


EVENT_TYPES: Mapping[str, EventType] = _build_catalog()


def event_type(type_str: str) -> EventType:
    """Look up a catalog entry by full type (the short form without `orderpulse.` works too)."""
    try:
        return EVENT_TYPES[full_type(type_str)]
    except KeyError:
        raise UnknownEventType(type_str) from None


def validate_data(type_str: str, data: Mapping[str, Any], *, tolerate_new_fields: bool = False) -> BaseModel:
    """Validate an event's `data`; raises `UnknownEventType` or pydantic's `ValidationError`.

    Producers validate strictly. Consumers pass `tolerate_new_fields=True`: adding an optional
    field is not a new version (events.md), so top-level fields a consumer does not know yet
    are dropped instead of refused.

    Every consumed event and every recorded one comes here, so the type's model validator and
    field names are looked up once, in `_CHECKS`, and the validator is called directly:
    `model.model_validate(data)` with its defaults does exactly that after its own argument
    checks (~1 µs an event less, docs/benchmarks.md).
    """
    try:
        validator, known = _CHECKS[type_str]
    except KeyError:
        raise UnknownEventType(type_str) from None
    if tolerate_new_fields and not known.issuperset(data):
        data = {name: value for name, value in data.items() if name in known}
    return validator.validate_python(data)


def _checks() -> Mapping[str, tuple[SchemaValidator, frozenset[str]]]:
    """Each catalog type, by its full and its short name: its model's validator and field names."""
    checks = {}
    for entry in EVENT_TYPES.values():
        if not entry.model.__pydantic_complete__:  # its validator would be a placeholder until rebuilt
            raise TypeError(f"{entry.model.__name__} is not fully defined")
        check = (entry.model.__pydantic_validator__, frozenset(entry.model.model_fields))
        checks[entry.type] = checks[entry.short_type] = check
    return MappingProxyType(checks)


_CHECKS = _checks()


def topic_for(type_str: str) -> str:
    """The topic an event of this type is published on."""
    return event_type(type_str).topic
