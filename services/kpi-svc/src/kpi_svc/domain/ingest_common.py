"""What every event handler shares: the context it runs in and the small fact helpers.

Every handler reads and checks all it needs first and only then changes the facts, so an
InvalidEvent leaves the order untouched. Facts only accumulate, and every "which one wins"
choice (earliest dispatch, latest invoice, ...) compares event time then event id, so the
facts do not depend on arrival order. A handler returns the families it made dirty.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol
from zoneinfo import ZoneInfo

from .business_days import BusinessCalendar
from .catalog import F_NOTIFY, STATUS_MILESTONE_OF_TYPE
from .facts import OrderFacts
from .shared import same_as, shared
from .values import InvalidEvent


class IngestContext(Protocol):
    tz: ZoneInfo
    holidays: frozenset[date]
    calendar: BusinessCalendar
    ack_ms: int
    resolve_ms: int
    observations: list


def required_text(data: dict, field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"data.{field}: required")
    return value


def add_milestone(order: OrderFacts, time_ms: int, etype: str) -> int:
    milestone = STATUS_MILESTONE_OF_TYPE[etype]
    if order.milestones is None:
        order.milestones = []
    order.milestones.append((time_ms, milestone))
    return F_NOTIFY


def append_fact(order: OrderFacts, attribute: str, item: tuple) -> None:
    items = getattr(order, attribute)
    if items is None:
        setattr(order, attribute, [item])
    else:
        items.append(item)


def offer_lines(order: OrderFacts, key: tuple, lines: dict) -> None:
    if order.lines_key is None or key > order.lines_key:
        order.lines_key, order.lines = key, same_as(lines, order.lines)


def offer_promise(order: OrderFacts, candidate: tuple) -> None:
    if order.promise is None or candidate < order.promise:
        order.promise = candidate


def on_status_only(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    return add_milestone(o, t, shared(ev["type"]))


def on_nothing(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    """A known event of an order that no KPI reads (deduplicated all the same)."""
    return 0
