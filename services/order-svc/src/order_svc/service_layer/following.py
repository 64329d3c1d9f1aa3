"""Handlers of consumed events: order-svc follows fulfillment to keep each order's status, and
keeps every lifecycle event any service tells about an order in that order's timeline.

They run inside the consumer's transaction (a joined unit of work): the consumer has already
dropped duplicates and commits the effects with its dedup record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from order_svc.domain.errors import OrderNotFound
from order_svc.service_layer.ports import OrderUnitOfWork, TimelineEntry
from order_svc.service_layer.publishing import publish


@dataclass(frozen=True)
class FulfillmentReport:
    """What a fulfillment event says about an order, whatever its type. `lines` are the
    dispatched or delivered [{sku, quantity}] (for `fulfillment.completed`: `lines_delivered`)."""

    kind: str
    order_id: str
    occurred_at: datetime
    shipment_id: str | None = None
    lines: Sequence[Mapping] = ()
    carrier: str | None = None
    tracking_number: str | None = None
    condition: str | None = None
    closed_short: bool | None = None


async def follow_fulfillment(uow: OrderUnitOfWork, report: FulfillmentReport, entry: TimelineEntry) -> None:
    """Record the fact on the order (its status only moves forward) and in its timeline, and
    publish what the order recorded in answer (a restore after a correction that came too late).

    An order order-svc does not know cannot be followed: the error sends the event to the
    dead-letter topic, where someone will look, rather than dropping it quietly.
    """
    order = await uow.orders.get(report.order_id, for_update=True)
    if order is None:
        raise OrderNotFound(f"{report.kind} for order {report.order_id!r}, which order-svc does not know")
    order.apply_fulfillment_fact(
        report.kind,
        report.occurred_at,
        shipment_id=report.shipment_id,
        lines=report.lines,
        carrier=report.carrier,
        tracking_number=report.tracking_number,
        condition=report.condition,
        closed_short=report.closed_short,
    )
    await uow.orders.save(order)
    await uow.timeline.append([entry])
    if order.events:  # a correction that came too late is restored (see confirmations.py)
        await publish(uow, order.events)
        await uow.commit()  # joined: stages the events in the consumer's transaction


async def add_to_timeline(uow: OrderUnitOfWork, entries: Sequence[TimelineEntry]) -> None:
    """Events that change nothing order-svc decides (notifications, feedback): the timeline shows
    them. Any number at once (a consumer batch's): one statement."""
    await uow.timeline.append(entries)
