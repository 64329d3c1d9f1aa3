"""Running a command: one transaction, an optional `Idempotency-Key`, and a retry when it lost a race."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from feedback_svc.service_layer.context import ServiceContext
from feedback_svc.service_layer.ports import FeedbackUnitOfWork, TransientConflict

MAX_ATTEMPTS = 3
T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    """What a command answers: the HTTP status it maps to, a JSON-ready body, and what to do
    once (and only if) its transaction committed (count a metric, wake the due-work loop)."""

    status_code: int
    body: dict[str, Any]
    after_commit: tuple[Callable[[], None], ...] = ()


@dataclass(frozen=True)
class IdempotencyRequest:
    principal: str
    key: str
    fingerprint: str


Work = Callable[[FeedbackUnitOfWork], Awaitable[Reply]]


async def run_command(ctx: ServiceContext, work: Work, *, idempotency: IdempotencyRequest | None = None) -> Reply:
    """Do `work` in one unit of work and commit; the same key and body replays the first reply.

    A domain error rolls everything back, the key's claim included, so a corrected retry with
    the same key runs again. A transaction that deadlocked is run again (at most `MAX_ATTEMPTS`).
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
            for effect in reply.after_commit:
                effect()
            return reply
        except TransientConflict:
            if attempt == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def run_query(ctx: ServiceContext, read: Callable[[FeedbackUnitOfWork], Awaitable[T]]) -> T:
    """Read in a transaction that is never committed."""
    async with ctx.unit_of_work() as uow:
        return await read(uow)
