"""Running a service's command: one unit of work, an optional `Idempotency-Key`, a retry when the
transaction lost a race, and effects that wait for the commit.

Service layers use this with their own unit of work (anything with `idempotency.claim/save`,
`commit()` and the async context protocol); it knows neither HTTP nor a database driver.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson

MAX_ATTEMPTS = 3
T = TypeVar("T")
U = TypeVar("U", bound="CommandUnitOfWork")


class TransientConflict(Exception):
    """The transaction lost a race (deadlock, serialization failure): run it again."""


@dataclass(frozen=True)
class StoredReply:
    status_code: int
    body: bytes


@dataclass(frozen=True)
class Reply:
    """What a command answers: the HTTP status it maps to, a JSON-ready body, and what to do
    once (and only if) its transaction committed (count a metric, wake a due-work loop)."""

    status_code: int
    body: dict[str, Any]
    after_commit: tuple[Callable[[], None], ...] = ()


@dataclass(frozen=True)
class IdempotencyRequest:
    principal: str
    key: str
    fingerprint: str


class IdempotencyKeys(Protocol):
    async def claim(self, principal: str, key: str, fingerprint: str) -> StoredReply | None:
        """None for the first use of `key`; the stored reply for a replay; raises on another body."""

    async def save(self, principal: str, key: str, status_code: int, body: bytes) -> None: ...


class CommandUnitOfWork(Protocol):
    idempotency: IdempotencyKeys

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc: Any) -> None: ...

    async def commit(self) -> None: ...


async def run_command(
    unit_of_work: Callable[[], U],
    work: Callable[[U], Awaitable[Reply]],
    *,
    idempotency: IdempotencyRequest | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> Reply:
    """Do `work` in one unit of work and commit; the same key and body replays the first reply.

    A domain error rolls everything back, the key's claim included, so a corrected retry with
    the same key runs again. A `TransientConflict` runs the whole command again (at most
    `max_attempts` times). `after_commit` effects run once the commit succeeded, never on replay.
    """
    for attempt in range(1, max_attempts + 1):
        try:
            async with unit_of_work() as uow:
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
            if attempt == max_attempts:
                raise
    raise AssertionError("unreachable")


async def run_query(unit_of_work: Callable[[], U], read: Callable[[U], Awaitable[T]]) -> T:
    """Read in a unit of work that is never committed."""
    async with unit_of_work() as uow:
        return await read(uow)
