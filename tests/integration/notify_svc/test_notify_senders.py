"""Several sender loops over one table (notify-svc runs `sender_workers` of them, and replicas run
their own): each claims only what no other holds, a message committed while one batch is being
sent goes out with another sender, and a sender that finds only held messages does not come
straight back for them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from notify_svc.adapters.unit_of_work import SqlUnitOfWork
from notify_svc.domain.values import PENDING, SENT, Customer, Notification, notification_id
from notify_svc.service_layer.context import ServiceContext
from notify_svc.service_layer.sending import run_due
from orderpulse.db.engine import create_engine, create_session_factory
from sqlalchemy import text

NOW = datetime.now(UTC).replace(microsecond=0)


class HeldChannel:
    """Takes every message at once except `held`'s, which waits until `release` is set."""

    def __init__(self, held: str) -> None:
        self.held = held
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[str] = []

    async def send(self, message) -> None:
        if message.order_id == self.held:
            self.holding.set()
            await self.release.wait()
        self.sent.append(message.order_id)


def confirmation(order_id: str) -> Notification:
    return Notification(
        notification_id=notification_id(order_id, "order_confirmed", "email", ""), order_id=order_id,
        customer_id="cus-senders", milestone="order_confirmed", channel="email", subject="", status=PENDING,
        trigger_event_id=f"evt-{order_id}", trigger_time=NOW - timedelta(seconds=1), due_at=NOW - timedelta(seconds=1),
    )


async def add(ctx: ServiceContext, *notifications: Notification) -> None:
    async with ctx.unit_of_work() as uow:
        for n in notifications:
            assert await uow.notifications.add(n)
        await uow.commit()


async def test_a_message_committed_while_a_batch_is_being_sent_goes_out_with_another_sender(infrastructure, clean_schema):
    engine = create_engine(infrastructure.database_url, schema=clean_schema, pool_size=3)
    sessions = create_session_factory(engine)
    channel = HeldChannel(held="ord-first")
    ctx = ServiceContext(
        unit_of_work=lambda: SqlUnitOfWork.owning(sessions, schema=clean_schema), channels=channel,
        tracking_url=lambda order_id, now: f"https://t/{order_id}", clock=lambda: NOW,
    )
    try:
        async with ctx.unit_of_work() as uow:
            await uow.state.upsert_customer(Customer("cus-senders", "standard", "Ada", "ada@example.com"))
            await uow.commit()
        await add(ctx, confirmation("ord-first"))
        first = asyncio.create_task(run_due(ctx, NOW))
        await asyncio.wait_for(channel.holding.wait(), timeout=30)

        # the only due message is held by the first sender: nothing to claim, and no due time to come back at
        assert await run_due(ctx, NOW) is None
        await add(ctx, confirmation("ord-second"))
        assert await run_due(ctx, NOW) is None
        assert channel.sent == ["ord-second"] and not first.done()

        channel.release.set()
        assert await asyncio.wait_for(first, timeout=30) is None
        assert channel.sent == ["ord-second", "ord-first"]
        async with sessions() as session:
            statuses = dict((await session.execute(text("SELECT order_id, status FROM notifications"))).all())
        assert statuses == {"ord-first": SENT, "ord-second": SENT}
    finally:
        channel.release.set()
        await engine.dispose()
