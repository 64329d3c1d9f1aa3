"""The consumer fetches and parses its next batch while the batch in hand is applied
(`orderpulse.messaging.read_ahead`). What was fetched ahead is applied only after the batch before
it committed, never after a rebalance that came in between, and is read again when the batch
before it fails or the consumer dies.

Small batches (10 records) so that every test has a batch in hand and another fetched ahead.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

import orjson
from aiokafka import TopicPartition
from consumer_harness import Harness, applied_count, cancelled, record_application
from consumer_harness import applied_count_is as _count_is
from orderpulse.observability import metrics
from sqlalchemy import text

BATCH = 10
KEYS = 6


def small_batches(harness: Harness) -> None:
    harness.settings = harness.settings.model_copy(update={"consumer_batch_size": BATCH})


async def produce_on_each_partition(harness: Harness, count: int) -> None:
    """`count` cancellations on each partition (one order each): a batch of BATCH holds one partition's."""
    for partition in range(3):
        for place in range(count):
            value = cancelled(f"ord_p{partition}", reason=str(place))
            await harness.producer.send_and_wait(harness.topic, key=b"k", value=value, partition=partition)


async def produce(harness: Harness, count: int) -> None:
    """`count` cancellations over KEYS orders; each one's reason is its place among its order's events."""
    for i in range(count):
        await harness.produce(f"ord_{i % KEYS}", cancelled(f"ord_{i % KEYS}", reason=str(i // KEYS)))


def event_ids(batch) -> list[str]:
    return [orjson.loads(record.value)["id"] for records in batch.values() for record in records]


class Fetches:
    """Remembers what each `getmany` of a consumer returned: the event ids, by fetch number (from 1)."""

    def __init__(self, kafka_consumer) -> None:
        self.latest: dict[str, int] = {}  # event id -> the last fetch that returned it
        self.batches: list[list[str]] = []
        self.changed = asyncio.Event()
        fetch = kafka_consumer.getmany

        async def getmany(*args, **kwargs):
            batch = await fetch(*args, **kwargs)
            if batch:
                ids = event_ids(batch)
                self.batches.append(ids)
                for event_id in ids:
                    self.latest[event_id] = len(self.batches)
                self.changed.set()
            return batch

        kafka_consumer.getmany = getmany

    async def until(self, count: int) -> None:
        while len(self.batches) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 20)


async def every_event_applied_once(sessions, expected: int) -> None:
    async with sessions() as session:
        total, distinct = (await session.execute(text("SELECT count(*), count(DISTINCT event_id) FROM applied"))).one()
    assert (total, distinct) == (expected, expected)


def in_order_per_order(applications: list[tuple[str, int]]) -> bool:
    """Each order's events were applied in the order they were produced (one order, one partition)."""
    seen: dict[str, list[int]] = defaultdict(list)
    for order_id, place in applications:
        seen[order_id].append(place)
    return all(places == sorted(places) and len(places) == len(set(places)) for places in seen.values())


async def _committed_total(kafka_consumer, topic: str) -> int:
    partitions = [TopicPartition(topic, p) for p in kafka_consumer.partitions_for_topic(topic)]
    return sum([(await kafka_consumer.committed(tp)) or 0 for tp in partitions])


async def test_a_consumer_dying_between_the_database_commit_and_the_offset_commit_is_replayed_without_double_effects(
    kafka_bootstrap, sessions, unique_name
):
    topic = f"test.crash.{unique_name}"
    async with Harness(kafka_bootstrap, sessions, topic, f"crash-{unique_name}") as harness:
        small_batches(harness)
        await produce(harness, 60)
        runner, kafka_consumer = harness.consumer()
        fetches = Fetches(kafka_consumer)
        commit = kafka_consumer.commit
        dying = asyncio.Event()

        async def die_instead_of_committing(*_args, **_kwargs):
            await fetches.until(2)  # the next batch is fetched ahead (and parsed) by now
            dying.set()
            await asyncio.Event().wait()  # the process is killed here: cancelled below

        kafka_consumer.commit = die_instead_of_committing
        await kafka_consumer.start()
        task = asyncio.create_task(runner.run())
        try:
            await asyncio.wait_for(dying.wait(), 20)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            kafka_consumer.commit = commit
            await kafka_consumer.stop()
        first_batch = len(fetches.batches[0])
        assert await applied_count(sessions) == first_batch, "the batch in hand committed; the one fetched ahead did not"

        runner, kafka_consumer = harness.consumer()  # the same group: it starts from the group's offsets
        duplicates = metrics.consumer_records_total.labels(harness.service, topic, "duplicate")
        await harness.run_until(runner, kafka_consumer, lambda: _count_is(sessions, 60))
        assert duplicates._value.get() == first_batch  # noqa: SLF001 — the replayed batch, absorbed by dedup

        checker, kafka_checker = harness.consumer()
        await kafka_checker.start()
        try:
            assert await _committed_total(kafka_checker, topic) == 60
        finally:
            await kafka_checker.stop()
    await every_event_applied_once(sessions, 60)


async def test_a_failed_batch_is_redone_and_the_batch_fetched_ahead_is_read_again_not_skipped(
    kafka_bootstrap, sessions, unique_name
):
    topic = f"test.redo.{unique_name}"
    applications: list[tuple[str, int]] = []
    fetched_ahead = asyncio.Event()
    failures = {"left": 1}

    async def failing_once_with_the_next_batch_fetched(session, envelope) -> None:
        if failures["left"]:
            failures["left"] -= 1
            await asyncio.wait_for(fetched_ahead.wait(), 20)
            await session.execute(text("DO $$ BEGIN RAISE EXCEPTION 'contended' USING ERRCODE = '40001'; END $$"))
        await record_application(session, envelope)
        applications.append((envelope.data["order_id"], int(envelope.data["reason"])))

    async with Harness(kafka_bootstrap, sessions, topic, f"redo-{unique_name}") as harness:
        small_batches(harness)
        await produce_on_each_partition(harness, BATCH)  # the batch fetched ahead is another partition's
        runner, kafka_consumer = harness.consumer(handler=failing_once_with_the_next_batch_fetched)
        fetches = Fetches(kafka_consumer)
        asyncio.get_running_loop().create_task(fetches.until(2)).add_done_callback(lambda _: fetched_ahead.set())
        await harness.run_until(runner, kafka_consumer, lambda: _count_is(sessions, 3 * BATCH))
        assert failures["left"] == 0
        assert len(fetches.batches) >= 4, "the failed batch and the one fetched ahead were fetched again"
    await every_event_applied_once(sessions, 3 * BATCH)
    assert in_order_per_order(applications)


async def test_a_batch_fetched_ahead_before_a_rebalance_is_not_applied_by_the_consumer_that_fetched_it(
    kafka_bootstrap, sessions, unique_name
):
    topic = f"test.rebalance.{unique_name}"
    applications: list[tuple[str, int]] = []
    by_first: list[str] = []
    release = asyncio.Event()
    held = asyncio.Event()

    def handler_of(name: str):
        async def apply(session, envelope) -> None:
            if name == "first":
                held.set()
                await release.wait()  # the batch in hand waits here until the group has rebalanced
                by_first.append(envelope.id)
            await record_application(session, envelope)
            applications.append((envelope.data["order_id"], int(envelope.data["reason"])))

        return apply

    async with Harness(kafka_bootstrap, sessions, topic, f"rebalance-{unique_name}") as harness:
        small_batches(harness)
        await produce(harness, 90)
        first, kafka_first = harness.consumer(handler=handler_of("first"))
        fetches = Fetches(kafka_first)
        processed_by_first: list[list[str]] = []
        process = first.process

        async def remembered(batch, *args, **kwargs):
            processed_by_first.append(event_ids(batch))
            return await process(batch, *args, **kwargs)

        first.process = remembered
        await kafka_first.start()
        first_task = asyncio.create_task(first.run())
        second, kafka_second = harness.consumer(handler=handler_of("second"))
        second_task = None
        try:
            await asyncio.wait_for(held.wait(), 20)
            await fetches.until(2)  # the batch in hand, and the next one fetched ahead
            fetched_before_the_rebalance = len(fetches.batches)
            await kafka_second.start()  # joins the group: the first consumer's partitions are revoked
            second_task = asyncio.create_task(second.run())
            async with asyncio.timeout(20):
                while not (kafka_second.assignment() and 0 < len(kafka_first.assignment()) < 3):
                    await asyncio.sleep(0.05)
            release.set()
            async with asyncio.timeout(30):
                while await applied_count(sessions) < 90:
                    assert not first_task.done() and not second_task.done()
                    await asyncio.sleep(0.05)
        finally:
            release.set()
            first.stop()
            second.stop()
            await asyncio.wait_for(asyncio.gather(first_task, *([second_task] if second_task else [])), 15)
            await kafka_first.stop()
            await kafka_second.stop()

    in_hand = fetches.batches[0]
    assert processed_by_first[0] == in_hand and set(in_hand) <= set(by_first), "the batch in hand is finished"
    stale = [event_id for ids in processed_by_first[1:] for event_id in ids
             if fetches.latest[event_id] <= fetched_before_the_rebalance]
    assert stale == [], "processed records fetched before the rebalance after it (not fetched again since)"
    await every_event_applied_once(sessions, 90)
    assert in_order_per_order(applications)
    assert Counter(applications).most_common(1)[0][1] == 1
