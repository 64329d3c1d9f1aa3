"""Running a command: one transaction, an optional `Idempotency-Key`, and a retry when it lost a race."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson

from fulfillment_svc.domain.values import check_event_time
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork, TransientConflict

MAX_ATTEMPTS = 3
T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    """What a command answers: the HTTP status it maps to and a JSON-ready body."""

    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyRequest:
    principal: str
    key: str
    fingerprint: str


Work = Callable[[FulfillmentUnitOfWork], Awaitable[Reply]]


async def run_command(ctx: ServiceContext, work: Work, *, idempotency: IdempotencyRequest | None = None) -> Reply:
    """Do `work` in one unit of work and commit; the same key and body replays the first reply.

    A domain error rolls everything back, the key's claim included, so a corrected retry with
    the same key runs again. A transaction that deadlocked or lost a race is run again from
    the start (at most `MAX_ATTEMPTS` times).
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            async with ctx.unit_of_work() as uow:
                if idempotency is not None:
                    stored = await uow.idempotency.claim(idempotency.principal, idempotency.key, idempotency.fingerprint)
                    if stored is not None:
                        return Reply(stored.status_code, orjson.loads(stored.body))
                reply = await work(uow)
                if idempotency is not None:
                    await uow.idempotency.save(
                        idempotency.principal, idempotency.key, reply.status_code, orjson.dumps(reply.body)
                    )
                await uow.commit()
                return reply
        except TransientConflict:
            if attempt == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def run_query(ctx: ServiceContext, read: Callable[[FulfillmentUnitOfWork], Awaitable[T]]) -> T:
    """Read in a transaction that is never committed."""
    async with ctx.unit_of_work() as uow:
        return await read(uow)


def event_time(ctx: ServiceContext, occurred_at: datetime | None) -> datetime:
    """When a reported fact happened: as given (at most 5 minutes ahead of now), else now."""
    now = ctx.clock()
    return now if occurred_at is None else check_event_time(occurred_at, now=now)
