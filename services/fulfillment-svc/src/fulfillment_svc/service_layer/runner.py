"""Running a command: the platform's runner (orderpulse.commands: one transaction, an optional
`Idempotency-Key`, a retry when it lost a race) over fulfillment-svc's unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from orderpulse import commands
from orderpulse.commands import IdempotencyRequest, Reply

from fulfillment_svc.domain.values import check_event_time
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork

T = TypeVar("T")
Work = Callable[[FulfillmentUnitOfWork], Awaitable[Reply]]

__all__ = ["IdempotencyRequest", "Reply", "event_time", "run_command", "run_query"]


async def run_command(ctx: ServiceContext, work: Work, *, idempotency: IdempotencyRequest | None = None) -> Reply:
    """Do `work` in one unit of work and commit; the same key and body replays the first reply."""
    return await commands.run_command(ctx.unit_of_work, work, idempotency=idempotency)


async def run_query(ctx: ServiceContext, read: Callable[[FulfillmentUnitOfWork], Awaitable[T]]) -> T:
    """Read in a transaction that is never committed."""
    return await commands.run_query(ctx.unit_of_work, read)


def event_time(ctx: ServiceContext, occurred_at: datetime | None) -> datetime:
    """When a reported fact happened: as given (at most 5 minutes ahead of now), else now."""
    now = ctx.clock()
    return now if occurred_at is None else check_event_time(occurred_at, now=now)
