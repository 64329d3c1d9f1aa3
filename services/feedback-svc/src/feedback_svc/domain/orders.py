"""What feedback-svc knows of an order: learned from order-svc's and fulfillment-svc's events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class KnownOrder:
    """An order seen in `order.placed`: whose it is, and whether it was cancelled since."""

    order_id: str
    customer_id: str
    cancelled: bool = False


@dataclass(frozen=True)
class Completion:
    """The part of `fulfillment.completed` a survey depends on."""

    order_id: str
    delivered_at: datetime | None
    units_delivered: int
    closed_short: bool

    @classmethod
    def from_data(cls, data: Mapping[str, Any], delivered_at: datetime | None) -> Completion:
        return cls(
            order_id=data["order_id"],
            delivered_at=delivered_at,
            units_delivered=_units(data.get("lines_delivered") or ()),
            closed_short=bool(data.get("closed_short")),
        )


def _units(lines: Iterable[Mapping[str, Any]]) -> int:
    return sum(int(line.get("quantity") or 0) for line in lines)


def survey_due(completion: Completion, *, delay: timedelta) -> datetime | None:
    """When the order's survey falls due, or None when there is nothing to ask about.

    A survey follows a delivery: an order closed short with nothing delivered gets none (the
    customer received nothing to rate; an issue is the way to complain). One closed short after
    a partial delivery gets one, counted from the last delivery's event time.
    """
    if completion.delivered_at is None or completion.units_delivered <= 0:
        return None
    return completion.delivered_at + delay
