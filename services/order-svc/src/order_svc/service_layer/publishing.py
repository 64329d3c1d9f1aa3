"""Moving the events an aggregate recorded into the unit of work: the outbox, and the order's timeline."""

from __future__ import annotations

from orderpulse.events.registry import validate_data

from order_svc.domain.events import ORDERS_TOPIC, Event
from order_svc.service_layer.ports import OrderUnitOfWork, TimelineEntry


async def publish(uow: OrderUnitOfWork, events: list[Event]) -> None:
    """Stage `events` for the outbox (each validated against the shared catalog) and add the
    order events to their order's timeline, in the same transaction. Empties `events`."""
    await uow.timeline.append(record(uow, events))


def record(uow: OrderUnitOfWork, events: list[Event]) -> list[TimelineEntry]:
    """Record `events` in the unit of work (each validated against the shared catalog) and return
    the timeline entries of the order events, for the caller to write. Empties `events`."""
    entries = []
    for event in events:
        data = event.to_data()
        validate_data(event.type, data)
        envelope = uow.record(event.type, event.key, data, time=event.occurred_at)
        if event.topic == ORDERS_TOPIC:
            entries.append(TimelineEntry.of(envelope))
    events.clear()
    return entries
