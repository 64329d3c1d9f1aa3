"""Consumed events: learn customers, orders and parcels; turn milestones into notification rows,
suppressions and courtesy calls — all in the consumer's transaction, with their outbox events.

Each (order, milestone, channel, subject) row is inserted with ON CONFLICT DO NOTHING: a replay,
a duplicate or a second event reaching the same milestone never makes a second message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from notify_svc.domain import events as ev
from notify_svc.domain.milestones import PARCEL_MILESTONES, STATUS_MILESTONES
from notify_svc.domain.rules import DUPLICATE, plan
from notify_svc.domain.triggers import ETA_FIELDS, is_trigger_type, parse_time, triggers_of
from notify_svc.domain.values import (
    MERGED,
    PENDING,
    SUPPRESSED,
    UNASSIGNED,
    CourtesyCall,
    Customer,
    MilestoneReached,
    Notification,
    OrderFacts,
    ShipmentFacts,
    Trigger,
    call_id,
    notification_id,
)
from notify_svc.service_layer.context import ServiceContext
from notify_svc.service_layer.ports import NotifyUnitOfWork, ParkedEvent

EachEvent = Callable[[int], AbstractContextManager[None]]
"""Entered around the work of a batch's i-th event (the consumer's trace and log context)."""


def _untraced(_index: int) -> AbstractContextManager[None]:
    return nullcontext()


async def customer_upserted(ctx: ServiceContext, uow: NotifyUnitOfWork, data: Mapping[str, Any]) -> None:
    """Learn the profile. Calls scheduled before it arrived (topics are not ordered among each
    other) go to the account manager it names, and are announced again with that manager."""
    customer = Customer(
        customer_id=str(data["customer_id"]),
        tier=str(data["tier"]),
        name=str(data.get("name") or ""),
        email=str(data.get("email") or ""),
        phone=str(data.get("phone") or ""),
        locale=str(data.get("locale") or "en"),
        timezone=str(data.get("timezone") or "UTC"),
        account_manager=data.get("account_manager") or None,
    )
    await uow.state.upsert_customer(customer)
    if customer.account_manager:
        assigned = await uow.calls.assign_unassigned(customer.customer_id, customer.account_manager)
        uow.record(ev.call_scheduled(call, ctx.clock()) for call in assigned)


async def order_placed(ctx: ServiceContext, uow: NotifyUnitOfWork, data: Mapping[str, Any]) -> None:
    await orders_placed(ctx, uow, [data])


async def orders_placed(
    ctx: ServiceContext, uow: NotifyUnitOfWork, placed: Sequence[Mapping[str, Any]], each: EachEvent = _untraced
) -> None:
    """Learn these orders, then act on the events parked until they were known (one read for all)."""
    order_ids = []
    for data in placed:
        order_id = str(data["order_id"])
        order = OrderFacts(order_id, str(data["customer_id"]), str(data["customer_tier"]), parse_time(data.get("promised_by")))
        await uow.state.add_order(order)
        order_ids.append(order_id)
    parked = await uow.state.unpark_all(order_ids)
    if not parked:
        return
    await uow.prefetch(parked)
    for index, order_id in enumerate(order_ids):
        with each(index):
            for event in parked.pop(order_id, ()):
                await order_event(ctx, uow, event)


async def order_events(
    ctx: ServiceContext, uow: NotifyUnitOfWork, events: Sequence[ParkedEvent], each: EachEvent = _untraced
) -> None:
    """`order_event` for each of these, in order, after one read of what they all need."""
    await uow.prefetch({str(event.data.get("order_id", "")) for event in events} - {""})
    for index, event in enumerate(events):
        with each(index):
            await order_event(ctx, uow, event)


async def order_event(ctx: ServiceContext, uow: NotifyUnitOfWork, event: ParkedEvent) -> None:
    """Any other consumed event of an order: park it until the order is known, else act on it."""
    data = event.data
    order_id = str(data.get("order_id", ""))
    if not order_id or not is_trigger_type(event.short_type):
        return
    known = await uow.state.order_context(order_id)
    if known is None:
        await uow.state.park(order_id, event)
        return
    order = known.order
    if event.short_type == "shipment.dispatched.v1":
        await uow.state.add_shipment(
            ShipmentFacts(
                str(data["shipment_id"]),
                order_id,
                str(data.get("carrier", "")),
                str(data.get("tracking_number", "")),
                parse_time(data.get("promised_by")),
                parse_time(data.get("eta")),
            )
        )
    shipment_id = data.get("shipment_id")
    promised_by = None
    if data.get(ETA_FIELDS.get(event.short_type, "")):  # only a carrier's eta is compared with the promise
        promised_by = await uow.state.promised_by(order_id, str(shipment_id) if shipment_id else None)
    triggers = triggers_of(event.short_type, data, event_id=event.event_id, time=event.time, promised_by=promised_by)
    history = known.history
    for trigger in triggers:
        if trigger.milestone in STATUS_MILESTONES:
            reached = MilestoneReached(trigger.subject, trigger.milestone, trigger.time)
            await uow.state.add_milestone(event.event_id, order_id, reached)
            history.append(reached)
    customer = known.customer or Customer(order.customer_id)
    for trigger in triggers:
        await _decide(ctx, uow, order, customer, history, trigger)


async def _decide(
    ctx: ServiceContext,
    uow: NotifyUnitOfWork,
    order: OrderFacts,
    customer: Customer,
    history: list[MilestoneReached],
    trigger: Trigger,
) -> None:
    now = ctx.clock()
    decided = plan(
        tier=order.tier,
        milestone=trigger.milestone,
        scope=trigger.subject,
        time=trigger.time,
        preferences=customer.preferences,
        history=history,
        now=now,
        stale_after=ctx.policy.stale_after,
    )
    if decided.empty:
        return
    duplicates = 0
    created_work = False
    for channel in sorted(decided.send):
        outcome = await _add_pending(ctx, uow, order, trigger, channel, now)
        duplicates += outcome == "duplicate"
        created_work |= outcome == "pending"
    reasons: set[str] = set()
    for channel, reason in sorted(decided.suppressed.items()):
        row = _row(order, trigger, channel, status=SUPPRESSED, due_at=None, reason=reason)
        if await uow.notifications.add(row):
            reasons.add(reason)
        else:
            duplicates += 1
    if duplicates and not created_work and not reasons:
        reasons.add(DUPLICATE)
    if reasons:
        uow.record(ev.notification_suppressed(order.order_id, trigger.milestone, reason, now) for reason in sorted(reasons))
    if decided.call:
        await _schedule_call(ctx, uow, order, customer, trigger, now)
    if created_work:
        uow.wake_after_commit(ctx.sender)


async def _add_pending(
    ctx: ServiceContext, uow: NotifyUnitOfWork, order: OrderFacts, trigger: Trigger, channel: str, now: datetime
) -> str:
    """'pending' (a new message), 'merged' (joined a parcel digest) or 'duplicate'."""
    window = ctx.policy.digest_window
    parcel = trigger.milestone in PARCEL_MILESTONES and trigger.shipment_id is not None
    if parcel and window.total_seconds() > 0:
        digest = await uow.notifications.open_digest(
            order.order_id, trigger.milestone, channel, trigger.time, window.total_seconds()
        )
        if digest is not None:
            row = _row(order, trigger, channel, status=MERGED, due_at=None)
            if not await uow.notifications.add(row, merged_into=digest):
                return "duplicate"
            await uow.notifications.join_digest(digest, trigger.shipment_id)
            return "merged"
    due_at = max(now, trigger.time + window) if parcel else now
    added = await uow.notifications.add(_row(order, trigger, channel, status=PENDING, due_at=due_at))
    return "pending" if added else "duplicate"


def _row(
    order: OrderFacts,
    trigger: Trigger,
    channel: str,
    *,
    status: str,
    due_at: datetime | None,
    reason: str | None = None,
) -> Notification:
    return Notification(
        notification_id=notification_id(order.order_id, trigger.milestone, channel, trigger.subject),
        order_id=order.order_id,
        customer_id=order.customer_id,
        milestone=trigger.milestone,
        channel=channel,
        subject=trigger.subject,
        status=status,
        trigger_event_id=trigger.event_id,
        trigger_time=trigger.time,
        due_at=due_at,
        reason=reason,
        shipment_ids=(trigger.shipment_id,) if trigger.shipment_id else (),
        details=trigger.details,
    )


async def _schedule_call(
    ctx: ServiceContext, uow: NotifyUnitOfWork, order: OrderFacts, customer: Customer, trigger: Trigger, now: datetime
) -> None:
    start = max(trigger.time, now)
    call = CourtesyCall(
        call_id=call_id(order.order_id, trigger.milestone),
        order_id=order.order_id,
        customer_id=order.customer_id,
        milestone=trigger.milestone,
        account_manager=customer.account_manager or UNASSIGNED,
        due_by=ctx.policy.working_hours.add(start, ctx.policy.call_within),
    )
    if await uow.calls.add(call):
        uow.record([ev.call_scheduled(call, now)])
