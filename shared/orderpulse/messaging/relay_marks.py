"""Marking published outbox rows on a second connection while the relay publishes the next batches.

Every batch handed to the producer gets a mark task. It waits for the previous batch's mark (one
connection runs one statement at a time, and a failure stops every later mark), then for Kafka's
acknowledgement of its own records, and only then sets `published_at` on its rows. Meanwhile the
relay fetches and enqueues the next batch on its lock connection, so the database half of one
batch overlaps the publishing of the others. A row is never marked before Kafka acknowledged it;
a failure leaves it and every later row unmarked, to be published again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

MARK_PUBLISHED = "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])"


class MarkPipeline:
    """Marks batches in the order they were added, each once Kafka acknowledged it.

    `connection` is a raw asyncpg connection used by nothing else meanwhile; `on_marked` is
    called with the rows of each batch once they are marked.
    """

    def __init__(self, connection: Any, on_marked: Callable[[Sequence[Any]], None]) -> None:
        self._connection = connection
        self._on_marked = on_marked
        self._pending: deque[tuple[asyncio.Task[int], Awaitable[None]]] = deque()
        self._last: asyncio.Task[int] | None = None
        self.marked = 0

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, rows: Sequence[Any], acknowledged: Awaitable[None]) -> None:
        """Mark `rows` once `acknowledged` completes and every earlier batch is marked."""
        self._last = asyncio.ensure_future(self._mark_after(self._last, rows, acknowledged))
        self._pending.append((self._last, acknowledged))

    async def wait_below(self, batches: int) -> None:
        """Until fewer than `batches` batches wait for their mark; raises the first failure."""
        while len(self._pending) >= batches:
            task, _acknowledged = self._pending[0]
            self.marked += await task
            self._pending.popleft()

    async def finish(self) -> int:
        """Every batch marked; returns how many rows were marked in all."""
        await self.wait_below(1)
        return self.marked

    async def close(self) -> None:
        """Abandon what is not marked yet (after a failure or a cancellation)."""
        waiting = [pending for pair in self._pending for pending in pair if isinstance(pending, asyncio.Future)]
        self._pending.clear()
        for pending in waiting:
            pending.cancel()
        for pending in waiting:
            with contextlib.suppress(BaseException):
                await pending

    async def _mark_after(
        self, previous: asyncio.Task[int] | None, rows: Sequence[Any], acknowledged: Awaitable[None]
    ) -> int:
        if previous is not None:
            await asyncio.shield(previous)  # its failure is ours; cancelling us must not cancel it
        await acknowledged
        await self._connection.execute(MARK_PUBLISHED, [row["id"] for row in rows])
        self._on_marked(rows)
        return len(rows)
