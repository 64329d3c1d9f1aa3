"""What fulfillment-svc learns from order-svc: `order.confirmed` and `order.cancelled` data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fulfillment_svc.domain.errors import InvalidOrder
from fulfillment_svc.domain.values import OrderLine, parse_text, require_aware


@dataclass(frozen=True, slots=True)
class ConfirmedOrder:
    """An order ready to fulfil (`order.confirmed.v1`)."""

    order_id: str
    lines: tuple[OrderLine, ...]
    promised_by: datetime
    service_level: str = "standard"
    ship_to: Mapping[str, Any] = field(default_factory=dict)
    placed_at: datetime | None = None  # optional in order.confirmed.v1; events from before it have none

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidOrder("an order needs at least one line", field="lines")
        line_ids = [line.line_id for line in self.lines]
        if len(set(line_ids)) != len(line_ids):
            raise InvalidOrder("line ids must be unique within an order", field="lines.line_id")
        require_aware(self.promised_by, field="promised_by")
        if self.placed_at is not None:
            require_aware(self.placed_at, field="placed_at")

    def ship_deadline_from(self, confirmed_at: datetime) -> datetime:
        """When the ship deadline starts counting: placement (kpis.md), or for a confirmation
        without `placed_at` (published before it existed) the confirmation time."""
        return self.placed_at if self.placed_at is not None else confirmed_at

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ConfirmedOrder:
        """Read the `data` of an `order.confirmed.v1` event."""
        raw_lines = data.get("lines")
        if not isinstance(raw_lines, list):
            raise InvalidOrder("lines must be a list", field="lines")
        ship_to = data.get("ship_to") or {}
        if type(ship_to) is not dict and not isinstance(ship_to, Mapping):  # a dict skips the ABC check
            raise InvalidOrder("ship_to must be an object", field="ship_to")
        placed_at = data.get("placed_at")
        return cls(
            order_id=parse_text(data.get("order_id"), field="order_id"),
            lines=tuple([OrderLine.from_data(line) for line in raw_lines]),
            promised_by=parse_time(data.get("promised_by"), field="promised_by"),
            service_level=str(data.get("service_level") or "standard"),
            ship_to=dict(ship_to),
            placed_at=None if placed_at is None else parse_time(placed_at, field="placed_at"),
        )


def parse_time(value: Any, *, field: str) -> datetime:
    """RFC 3339 text (or an aware datetime) to an aware datetime."""
    if isinstance(value, datetime):
        return require_aware(value, field=field)
    if not isinstance(value, str):
        raise InvalidOrder(f"{field} must be an RFC 3339 time", field=field)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidOrder(f"{field} must be an RFC 3339 time, got {value!r}", field=field) from None
    return require_aware(moment, field=field)
