"""What the API does: preferences, the order's notification history, the courtesy-call list."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from notify_svc import metrics
from notify_svc.domain import events as ev
from notify_svc.domain.errors import CallAlreadyCompleted, CallNotFound, InvalidPreferences, OrderNotKnown
from notify_svc.domain.preferences import PreferenceChange, Preferences
from notify_svc.domain.values import COMPLETED, CourtesyCall
from notify_svc.service_layer.context import ServiceContext
from notify_svc.service_layer.ports import NotificationView

OUTCOMES = ("reached", "voicemail", "no_answer")
MAX_FUTURE = timedelta(minutes=5)


async def set_preferences(ctx: ServiceContext, customer_id: str, change: PreferenceChange) -> Preferences:
    async with ctx.unit_of_work() as uow:
        known = await uow.state.customer(customer_id)
        current = known.preferences if known is not None else Preferences()
        saved = await uow.state.save_preferences(customer_id, current.updated(change))
        await uow.commit()
    return saved.preferences


async def notifications_of(ctx: ServiceContext, order_id: str) -> list[NotificationView]:
    async with ctx.unit_of_work() as uow:
        views = await uow.notifications.of_order(order_id)
        if not views and await uow.state.order(order_id) is None:
            raise OrderNotKnown(f"notify-svc has heard nothing of order {order_id!r}", field="order_id")
        return views


async def call_list(
    ctx: ServiceContext, *, status: str | None, account_manager: str | None, after: tuple[datetime, str] | None, limit: int
) -> list[CourtesyCall]:
    async with ctx.unit_of_work() as uow:
        return await uow.calls.page(status=status, account_manager=account_manager, after=after, limit=limit)


async def complete_call(
    ctx: ServiceContext, call_id: str, *, outcome: str, note: str | None, occurred_at: datetime | None
) -> CourtesyCall:
    """Record the call's outcome once; the same outcome again answers as before, another is a conflict."""
    now = ctx.clock()
    if occurred_at is not None and occurred_at > now + MAX_FUTURE:
        raise InvalidPreferences("occurred_at may be at most 5 minutes in the future", field="occurred_at")
    async with ctx.unit_of_work() as uow:
        call = await uow.calls.get(call_id, lock=True)
        if call is None:
            raise CallNotFound(f"no courtesy call {call_id!r}", field="call_id")
        if call.status == COMPLETED:
            if call.outcome == outcome:
                return call
            raise CallAlreadyCompleted(f"the call was already completed with outcome {call.outcome!r}", field="outcome")
        done = replace(call, status=COMPLETED, outcome=outcome, note=note, completed_at=occurred_at or now)
        await uow.calls.complete(done)
        uow.record([ev.call_completed(done)])
        await uow.commit()
    metrics.courtesy_calls_total.labels("completed").inc()
    return done
