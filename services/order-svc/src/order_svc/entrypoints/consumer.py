"""The handler table of order-svc's consumer: which consumed event types it acts on, and how.

- every order-keyed type of `orderpulse.fulfillment` moves the order's status (forward only)
  and goes into its timeline;
- every type of `orderpulse.notifications` and `orderpulse.feedback` goes into its timeline.
One batch handler takes them all, a consumer batch at a time: the batch's orders read and locked
together, each written back once, and every timeline entry of the batch in one statement, in the
order the events were read (one handler per kind took a timeline statement each).
Other types (e.g. `labor.shift_recorded`, keyed by warehouse) are ignored by the consumer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from orderpulse.events import EVENT_TYPES, FEEDBACK, FULFILLMENT, NOTIFICATIONS
from orderpulse.events.envelope import Envelope
from orderpulse.messaging.consumer import Batched, Handler
from orderpulse.messaging.handlers import event_context
from sqlalchemy.ext.asyncio import AsyncSession

from order_svc.service_layer import following
from order_svc.service_layer.ports import OrderUnitOfWork, TimelineEntry

CONSUMED_TOPICS = (FULFILLMENT, NOTIFICATIONS, FEEDBACK)

JoiningUnitOfWork = Callable[[AsyncSession], OrderUnitOfWork]


def _order_keyed_types(topic: str) -> list[str]:
    return [name for name, entry in EVENT_TYPES.items() if entry.topic == topic and entry.key_field == "order_id"]


def fulfillment_report(envelope: Envelope) -> following.FulfillmentReport:
    """What a fulfillment event tells about its order, whatever its type."""
    data = envelope.data
    completed = envelope.type.startswith("orderpulse.fulfillment.completed.")
    return following.FulfillmentReport(
        kind=envelope.type,
        order_id=data["order_id"],
        occurred_at=envelope.time,
        shipment_id=data.get("shipment_id"),
        lines=data.get("lines_delivered" if completed else "lines") or (),
        carrier=data.get("carrier"),
        tracking_number=data.get("tracking_number"),
        condition=data.get("condition"),
        closed_short=data.get("closed_short"),
    )


def timeline_entry(envelope: Envelope) -> TimelineEntry:
    return TimelineEntry.of(envelope, order_id=envelope.data["order_id"])


def handler_table(joining_uow: JoiningUnitOfWork) -> Mapping[str, Handler | Batched]:
    """Event type -> handler; `joining_uow` builds a unit of work inside the consumer's transaction."""

    async def follow(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        facts = [
            (fulfillment_report(envelope) if envelope.type in fulfillment else None, timeline_entry(envelope))
            for envelope in envelopes
        ]
        await following.follow_fulfillments(joining_uow(session), facts, lambda index: event_context(envelopes[index]))

    fulfillment = frozenset(_order_keyed_types(FULFILLMENT))
    handler = Batched(follow)  # one per batch: its orders read and locked at once, one timeline statement
    return {name: handler for topic in CONSUMED_TOPICS for name in _order_keyed_types(topic)}
