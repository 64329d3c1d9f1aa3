"""The sender: claim due messages, check each once more, send, and record the outcome.

One transaction per batch: due rows are claimed with `FOR UPDATE SKIP LOCKED` (other sender
loops and replicas take other rows), sent concurrently, and marked sent / rescheduled / failed
together with their outbox events. A crash before the commit leaves them pending: they are sent again under the same
`notification_id`, which the providers deduplicate (Message-ID, `webhook-id`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime

from notify_svc import metrics
from notify_svc.domain import events as ev
from notify_svc.domain.policy import EMAIL, SMS, WEBHOOK
from notify_svc.domain.rules import QUIET_HOURS_DEFERRED, Defer, Suppress, gate
from notify_svc.domain.values import FAILED, SENT, SUPPRESSED, Customer, MilestoneReached, Notification
from notify_svc.service_layer.context import ServiceContext
from notify_svc.service_layer.ports import NotifyUnitOfWork, OutgoingMessage, SendFailed

log = logging.getLogger(__name__)


class NoAddress(Exception):
    """The customer has no address on this channel (or is not known yet)."""

    def __init__(self, detail: str, *, final: bool) -> None:
        super().__init__(detail)
        self.final = final


async def run_due(ctx: ServiceContext, now: datetime) -> datetime | None:
    """Send what is due at `now`; returns when to look again (None: nothing pending)."""
    batch_size = ctx.policy.sender_batch_size
    async with ctx.unit_of_work() as uow:
        due = await uow.notifications.claim_due(now, batch_size)
        oldest = due[0].due_at if due else None
        metrics.queue_lag_seconds.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        if not due:
            return await uow.notifications.next_due(after=now)
        finished: list[Notification] = []
        to_send: list[tuple[Notification, OutgoingMessage]] = []
        customers = await uow.state.customers(n.customer_id for n in due)
        histories = await uow.state.histories(n.order_id for n in due)
        for n in due:  # one session: reads stay sequential, only the sends run concurrently
            customer = customers.get(n.customer_id) or Customer(n.customer_id)
            prepared = await _prepare(ctx, uow, n, customer, histories.get(n.order_id, []), now)
            if isinstance(prepared, tuple):
                to_send.append(prepared)
            else:
                finished.append(prepared)
        limit = ctx.send_slots()
        errors = await asyncio.gather(*(_send(ctx, message, limit) for _, message in to_send))
        for (n, _), error in zip(to_send, errors, strict=True):
            finished.append(_sent(ctx, uow, n) if error is None else _failed(ctx, uow, n, n.attempts + 1, error, now, final=False))
        await uow.notifications.update(finished)
        following = now if len(due) >= batch_size else await uow.notifications.next_due(after=now)
        await uow.commit()
    return following


async def _send(ctx: ServiceContext, message: OutgoingMessage, limit: asyncio.Semaphore) -> str | None:
    """None when sent, else what went wrong. Whatever an adapter raises is a failed attempt of this
    message: let through, it rolled the whole batch back, and the batch's other messages, already
    sent, were sent again at every retry of the loop, while this one never reached its last attempt."""
    async with limit:
        try:
            await ctx.channels.send(message)
        except SendFailed as error:
            return str(error)
        except Exception as error:  # logged by `_failed`, the address taken out as a provider's failure is
            described = f"{type(error).__name__}: {error}"
            return described.replace(message.to, "<recipient>") if message.to else described
    return None


async def _prepare(
    ctx: ServiceContext,
    uow: NotifyUnitOfWork,
    n: Notification,
    customer: Customer,
    history: list[MilestoneReached],
    now: datetime,
) -> Notification | tuple[Notification, OutgoingMessage]:
    """The row's new state when it will not be sent now, else the message to send."""
    verdict = gate(
        channel=n.channel,
        milestone=n.milestone,
        scopes=n.shipment_ids or (n.subject,),
        time=n.trigger_time,
        preferences=customer.preferences,
        timezone=customer.timezone,
        history=history,
        now=now,
    )
    if isinstance(verdict, Suppress):
        metrics.suppressed_total.labels(verdict.reason).inc()
        uow.record([ev.notification_suppressed(n.order_id, n.milestone, verdict.reason, now)])
        return replace(n, status=SUPPRESSED, reason=verdict.reason, due_at=None)
    if isinstance(verdict, Defer):
        if not n.deferred:
            metrics.suppressed_total.labels(QUIET_HOURS_DEFERRED).inc()
            uow.record([ev.notification_suppressed(n.order_id, n.milestone, QUIET_HOURS_DEFERRED, now)])
        return replace(n, due_at=verdict.until, deferred=True, reason=QUIET_HOURS_DEFERRED)
    try:
        return n, await _message(ctx, uow, n, customer, now)
    except NoAddress as error:
        if not error.final:  # the profile is on its way on another topic: wait for it, spending no attempt
            return replace(n, due_at=now + ctx.policy.retry_policy(n.channel).delay(1), last_error=str(error))
        return _failed(ctx, uow, n, n.attempts + 1, str(error), now, final=True)


def _sent(ctx: ServiceContext, uow: NotifyUnitOfWork, n: Notification) -> Notification:
    sent_at = ctx.clock()
    metrics.sent_total.labels(n.channel, n.milestone).inc()
    uow.record([ev.notification_sent(n, sent_at=sent_at, unit_cost=ctx.policy.unit_costs.get(n.channel))])
    return replace(n, status=SENT, attempts=n.attempts + 1, sent_at=sent_at, due_at=None, last_error=None)


def _failed(
    ctx: ServiceContext, uow: NotifyUnitOfWork, n: Notification, attempts: int, error: str, now: datetime, *, final: bool
) -> Notification:
    retry = ctx.policy.retry_policy(n.channel)
    final = final or retry.exhausted(attempts)
    metrics.failed_total.labels(n.channel, "true" if final else "false").inc()
    uow.record([ev.notification_failed(n, error=error, attempts=attempts, final=final, at=now)])
    log.warning(
        "notification send failed",
        extra={"notification_id": n.notification_id, "order_id": n.order_id, "channel": n.channel, "attempts": attempts, "final": final, "error": error},
    )
    if final:
        return replace(n, status=FAILED, attempts=attempts, last_error=error, due_at=None)
    metrics.retries_total.labels(n.channel).inc()
    return replace(n, attempts=attempts, last_error=error, due_at=now + retry.delay(attempts))


async def _message(
    ctx: ServiceContext, uow: NotifyUnitOfWork, n: Notification, customer: Customer, now: datetime
) -> OutgoingMessage:
    if not customer.known:
        raise NoAddress("the customer's profile (customer.upserted) has not arrived yet", final=False)
    to = {EMAIL: customer.email, SMS: customer.phone, WEBHOOK: customer.customer_id}.get(n.channel, "")
    if not to:
        raise NoAddress(f"the customer has no {n.channel} address", final=True)
    return OutgoingMessage(
        notification_id=n.notification_id,
        channel=n.channel,
        milestone=n.milestone,
        order_id=n.order_id,
        customer_id=n.customer_id,
        to=to,
        name=customer.name,
        locale=customer.message_locale,
        tracking_url=ctx.tracking_url(n.order_id, now),
        shipments=await uow.state.shipments(n.shipment_ids) if n.shipment_ids else (),
        details=n.details,
    )
