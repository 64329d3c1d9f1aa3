"""The consumer's next batch, fetched and parsed while the batch in hand is applied.

The batch in hand spends much of its time waiting for PostgreSQL (its statements run on the
other core); meanwhile a task of its own fetches the next batch and parses it a few records at
a time (`parsed_batch.parse_stepwise`). Nothing of it is applied before the batch in hand has
committed, so the order of processing per partition is unchanged.

The next batch remembers the rebalance count it was fetched in. The consumer drops one fetched
before a rebalance (the new assignment reads from the group's committed offsets: whatever was
revoked is the new owner's, whatever stayed is read again), and when the batch in hand fails it
rewinds the next batch's partitions as well as its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from orderpulse.messaging.assignments import AssignmentChanges
from orderpulse.messaging.parsed_batch import ParsedBatch, parse_stepwise

FETCH_TIMEOUT_MS = 500


@dataclass
class Fetched:
    records: dict[TopicPartition, list[ConsumerRecord]]
    fetched_in: int  # the rebalance count when `getmany` returned it
    parsed: ParsedBatch | None = None
    partitions: int = 0  # how many partitions it held when parsed: fewer now, the parse is stale

    def parsed_as_is(self) -> ParsedBatch | None:
        """The parse, if the batch still holds every partition it was parsed with."""
        return self.parsed if self.parsed is not None and len(self.records) == self.partitions else None


async def fetch(consumer: AIOKafkaConsumer, assignments: AssignmentChanges) -> Fetched:
    records = await consumer.getmany(timeout_ms=FETCH_TIMEOUT_MS)
    return Fetched(records, assignments.count)


class ReadAhead:
    """At most one batch fetched ahead: `start` after taking a batch, `take` for the next one."""

    def __init__(self, consumer: AIOKafkaConsumer, assignments: AssignmentChanges) -> None:
        self._consumer = consumer
        self._assignments = assignments
        self._task: asyncio.Task[Fetched] | None = None

    @property
    def started(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        assert self._task is None, "one batch ahead at most"
        self._task = asyncio.create_task(self._fetch_and_parse())

    async def take(self) -> Fetched:
        """The batch fetched ahead (waiting for it if need be); the next `start` fetches another."""
        assert self._task is not None
        task, self._task = self._task, None
        return await task

    async def cancel(self) -> None:
        """Drop the batch fetched ahead, if any: its offsets are not committed, so it is read again."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _fetch_and_parse(self) -> Fetched:
        fetched = await fetch(self._consumer, self._assignments)
        if fetched.records:
            fetched.partitions = len(fetched.records)
            with contextlib.suppress(Exception):  # left to `process`, which parses it again and fails as it would have
                fetched.parsed = await parse_stepwise(fetched.records)
        return fetched
