"""Where one event's publish lag goes: timestamps of its way through the relay, taken in the relay's process.

Bench-only instrumentation of an `OutboxRelay` (no production code knows of it): the relay's batch
select is timed on its lock connection, its publisher's enqueue and Kafka's acknowledgement per
batch, and its marks through the callback the mark pipeline calls. Once a batch is marked, one
`(event_id, select began, select ended, enqueued, acknowledged, marked)` tuple per row is kept, and
what was kept goes to `sink` (a multiprocessing queue) every FLUSH_S, not a put per batch (~400 a
second at 1,000 events/s, each pickled and written by the queue's feeder thread in the relay's process). Every time is `time.perf_counter()`
(CLOCK_MONOTONIC, one clock for every process of the machine), so the bench compares them with
its writers' commits and its reader's arrivals.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from orderpulse.messaging import relay as relay_module
from orderpulse.messaging.relay import OutboxRelay

FLUSH_S = 0.1


class _TimedConnection:
    """The relay's asyncpg connection, its batch selects timed (everything else passed through)."""

    def __init__(self, raw, ways: dict[str, list[float]]) -> None:
        self._raw = raw
        self._ways = ways

    def __getattr__(self, name: str):
        return getattr(self._raw, name)

    async def fetch(self, query: str, *args):
        began = time.perf_counter()
        rows = await self._raw.fetch(query, *args)
        if query is relay_module._SELECT_BATCH:
            ended = time.perf_counter()
            for row in rows:
                self._ways[row["event_id"]] = [began, ended, 0.0, 0.0]
        return rows


class _TimedPublisher:
    def __init__(self, publisher, ways: dict[str, list[float]]) -> None:
        self._publisher = publisher
        self._ways = ways

    async def publish(self, records) -> None:
        await (await self.enqueue(records))

    async def enqueue(self, records):
        acknowledged = await self._publisher.enqueue(records)
        enqueued = time.perf_counter()
        ways = [self._ways.get(value.decode()) for record in records for name, value in record.headers
                if name == "ce_id"]
        ways = [way for way in ways if way is not None]
        for way in ways:
            way[2] = enqueued

        def note(_future) -> None:
            now = time.perf_counter()
            for way in ways:
                way[3] = now

        acknowledged.add_done_callback(note)
        return acknowledged


def instrument(relay: OutboxRelay, sink) -> asyncio.Task:
    """Time `relay`'s steps per event (call in the relay's own process, its loop running, before
    `relay.run()`); returns the task that sends them."""
    ways: dict[str, list[float]] = {}
    done: list[tuple] = []
    driver = relay_module._driver

    async def timed_driver(connection):
        return _TimedConnection(await driver(connection), ways)

    relay_module._driver = timed_driver
    relay._publisher = _TimedPublisher(relay._publisher, ways)
    observe = relay._observe

    def marked(rows: Sequence) -> None:
        now = time.perf_counter()
        done.extend((row["event_id"], *ways.pop(row["event_id"], (0.0, 0.0, 0.0, 0.0)), now) for row in rows)
        observe(rows)

    async def send() -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            if done:
                sink.put(done[:])
                done.clear()

    relay._observe = marked
    return asyncio.create_task(send())
