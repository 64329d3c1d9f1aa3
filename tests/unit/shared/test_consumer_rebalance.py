"""A batch fetched before a rebalance must not move the group's offsets afterwards.

After the embedded broker restarted empty, the consumer's last batch from the old broker was
committed to the new one after the group had been revoked: the recreated partitions' first
records then lay below the committed offset and were never applied (found by the broker drill).
"""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from orderpulse.messaging.consumer import IdempotentConsumer

TOPIC = "orderpulse.orders"
PARTITION = TopicPartition(TOPIC, 2)
OTHER_PARTITION = TopicPartition(TOPIC, 5)


def poison_record(offset: int, partition: TopicPartition = PARTITION) -> ConsumerRecord:
    return ConsumerRecord(topic=TOPIC, partition=partition.partition, offset=offset, timestamp=0, timestamp_type=0,
                          key=b"k", value=b"not json", checksum=None, serialized_key_size=1,
                          serialized_value_size=8, headers=[])


class FakeKafka:
    """One batch of two records (or the batches given), then nothing; remembers the listener and every commit."""

    def __init__(self, batches: list[dict] | None = None) -> None:
        self.listener = None
        self.commits: list[dict[TopicPartition, int]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.group_offsets: dict[TopicPartition, int] = {}
        self._batches = batches if batches is not None else [{PARTITION: [poison_record(300), poison_record(301)]}]
        self.batches_given = 0
        self.all_given = asyncio.Event()

    def subscription(self) -> frozenset[str]:
        return frozenset({TOPIC})

    def subscribe(self, topics, listener) -> None:
        assert topics == [TOPIC]
        self.listener = listener

    async def getmany(self, timeout_ms: int = 0) -> dict:
        await asyncio.sleep(0.001)
        if not self._batches:
            return {}
        self.batches_given += 1
        if len(self._batches) == 1:
            self.all_given.set()
        return self._batches.pop(0)

    async def commit(self, offsets) -> None:
        self.commits.append(dict(offsets))
        self.group_offsets.update(offsets)

    async def committed(self, tp) -> int | None:
        return self.group_offsets.get(tp)

    def seek(self, tp, offset) -> None:
        self.seeks.append((tp, offset))

    def assignment(self) -> set[TopicPartition]:
        return {PARTITION, OTHER_PARTITION}

    def highwater(self, tp) -> None:
        return None


class FakeSession:
    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(self, *_exc) -> None:
        return None

    def begin(self) -> FakeSession:
        return self


class DeadLetters:
    """Publishes nothing; `during_send` runs while the first batch is in hand (a rebalance, a failure)."""

    def __init__(self, during_send=None) -> None:
        self.during_send = during_send
        self.sent = 0

    async def send(self, letters) -> None:
        self.sent += len(letters)
        during_send, self.during_send = self.during_send, None
        if during_send is not None:
            await during_send()


async def run_once(kafka: FakeKafka, dead_letters: DeadLetters) -> None:
    consumer = IdempotentConsumer(consumer=kafka, session_factory=FakeSession, handlers={},
                                  dead_letters=dead_letters, service="rebalance-test-svc", max_attempts=1)
    running = asyncio.create_task(consumer.run())
    async with asyncio.timeout(5):
        while dead_letters.sent < 2:
            await asyncio.sleep(0.005)
    await asyncio.sleep(0.1)  # what the loop does after the batch: commit, rewind or nothing
    consumer.stop()
    await asyncio.wait_for(running, 5)


async def test_a_batch_handled_within_one_assignment_commits_its_offsets():
    kafka = FakeKafka()
    await run_once(kafka, DeadLetters())
    assert kafka.commits == [{PARTITION: 302}]


async def test_a_batch_overtaken_by_a_rebalance_commits_nothing():
    kafka = FakeKafka()

    async def rebalance() -> None:
        await kafka.listener.on_partitions_revoked({PARTITION})
        await kafka.listener.on_partitions_assigned({PARTITION})

    await run_once(kafka, DeadLetters(rebalance))
    assert kafka.listener is not None, "the consumer must follow rebalances with its own listener"
    assert kafka.commits == []


async def test_a_failed_batch_overtaken_by_a_rebalance_is_not_rewound():
    kafka = FakeKafka()

    async def rebalance_then_fail() -> None:
        await kafka.listener.on_partitions_revoked({PARTITION})
        await kafka.listener.on_partitions_assigned({PARTITION})
        raise ConnectionError("broker gone")

    await run_once(kafka, DeadLetters(rebalance_then_fail))
    assert kafka.seeks == [] and kafka.commits == []


async def test_a_failed_batch_within_one_assignment_is_read_again_from_its_first_offset():
    kafka = FakeKafka()

    async def fail() -> None:
        raise ConnectionError("broker gone")

    await run_once(kafka, DeadLetters(fail))
    assert kafka.seeks == [(PARTITION, 300)] and kafka.commits == []


async def test_after_a_rebalance_a_partition_still_at_our_offset_is_checked_from_the_record_before_it():
    kafka = FakeKafka()
    await run_once(kafka, DeadLetters())
    await kafka.listener.on_partitions_revoked({PARTITION})
    await kafka.listener.on_partitions_assigned({PARTITION})
    assert kafka.seeks == [(PARTITION, 301)]


def two_batches() -> list[dict]:
    """The batch in hand on one partition; the next one, which the consumer fetches ahead, on another."""
    return [{PARTITION: [poison_record(300), poison_record(301)]},
            {OTHER_PARTITION: [poison_record(40, OTHER_PARTITION), poison_record(41, OTHER_PARTITION)]}]


async def test_a_batch_fetched_ahead_before_a_rebalance_is_dropped_not_applied():
    kafka = FakeKafka(two_batches())

    async def rebalance_once_the_next_batch_is_fetched() -> None:
        await kafka.all_given.wait()
        await kafka.listener.on_partitions_revoked({PARTITION, OTHER_PARTITION})
        await kafka.listener.on_partitions_assigned({PARTITION, OTHER_PARTITION})

    dead_letters = DeadLetters(rebalance_once_the_next_batch_is_fetched)
    await run_once(kafka, dead_letters)
    assert kafka.batches_given == 2
    assert dead_letters.sent == 2, "only the batch in hand is applied; the one fetched ahead is the new assignment's"
    assert kafka.commits == []


async def test_a_failed_batch_rewinds_the_batch_fetched_ahead_as_well():
    kafka = FakeKafka(two_batches())

    async def fail_once_the_next_batch_is_fetched() -> None:
        await kafka.all_given.wait()
        raise ConnectionError("broker gone")

    dead_letters = DeadLetters(fail_once_the_next_batch_is_fetched)
    await run_once(kafka, dead_letters)
    assert sorted(kafka.seeks) == [(PARTITION, 300), (OTHER_PARTITION, 40)] and kafka.commits == []
    assert dead_letters.sent == 2, "the batch fetched ahead waits to be read again, it is not applied"


async def test_the_batch_fetched_ahead_is_applied_after_the_batch_before_it_committed():
    kafka = FakeKafka(two_batches())
    dead_letters = DeadLetters()
    consumer = IdempotentConsumer(consumer=kafka, session_factory=FakeSession, handlers={},
                                  dead_letters=dead_letters, service="rebalance-test-svc", max_attempts=1)
    running = asyncio.create_task(consumer.run())
    async with asyncio.timeout(5):
        while len(kafka.commits) < 2:
            await asyncio.sleep(0.005)
    consumer.stop()
    await asyncio.wait_for(running, 5)
    assert kafka.commits == [{PARTITION: 302}, {OTHER_PARTITION: 42}] and dead_letters.sent == 4
