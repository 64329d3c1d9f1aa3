"""Handlers of consumed events: order-svc follows fulfillment to keep each order's status, and
keeps every lifecycle event any service tells about an order in that order's timeline.

They run inside the consumer's transaction (a joined unit of work): the consumer has already
dropped duplicates and commits the effects with its dedup record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from order_svc.domain.errors import OrderNotFound
from order_svc.domain.model import Order
from order_svc.service_layer.ports import OrderUnitOfWork, TimelineEntry
from order_svc.service_layer.publishing import record


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
    await follow_fulfillments(uow, [(report, entry)])


async def follow_fulfillments(
    uow: OrderUnitOfWork,
    facts: Sequence[tuple[FulfillmentReport | None, TimelineEntry]],
    each: Callable[[int], AbstractContextManager[None]] = lambda _index: nullcontext(),
) -> None:
    """`follow_fulfillment` for many facts at once (a consumer batch's), in the order given: their
    orders are read and locked together, each fact is applied in turn, and every order is written
    back once; the timeline entries, in the order given (with what an order recorded in answer right
    after its fact), with one statement. A fact without a report (a notification, feedback: events
    that change nothing order-svc decides) only goes into the timeline. The same outcome as one at a
    time; should one order be unknown, nothing is written and the error names it (the consumer then
    redoes its batch one event at a time, so only that event is dead-lettered). `each(i)` is the
    context in which the events answering fact i are recorded (its trace)."""
    wanted = [report.order_id for report, _ in facts if report is not None]
    orders = await uow.orders.get_many(wanted, for_update=True) if wanted else {}
    changed: dict[str, Order] = {}
    entries: list[TimelineEntry] = []
    recorded = False
    for index, (report, entry) in enumerate(facts):
        if report is None:
            entries.append(entry)
            continue
        order = orders.get(report.order_id)
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
        changed[order.order_id] = order
        entries.append(entry)
        if order.events:  # a correction that came too late is restored (see confirmations.py)
            with each(index):
                entries += record(uow, order.events)
            recorded = True
    await uow.orders.save_many(list(changed.values()))
    await uow.timeline.append(entries)
    if recorded:
        await uow.commit()  # joined: stages the events in the consumer's transaction

