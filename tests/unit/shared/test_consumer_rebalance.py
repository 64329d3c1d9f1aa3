"""A batch fetched before a rebalance must not move the group's offsets afterwards.

After the embedded broker restarted empty, the consumer's last batch from the old broker was
committed to the new one after the group had been revoked: the recreated partitions' first
records then lay below the committed offset and were never applied (found by the broker drill).
"""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from consumer_fakes import FakeSession, poison_record
from orderpulse.messaging.consumer import IdempotentConsumer

TOPIC = "orderpulse.orders"
PARTITION = TopicPartition(TOPIC, 2)


class FakeKafka:
    """One batch of two records, then nothing; remembers the listener and every commit."""

    def __init__(self) -> None:
        self.listener = None
        self.commits: list[dict[TopicPartition, int]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.group_offsets: dict[TopicPartition, int] = {}
        self._batches = [{PARTITION: [poison_record(PARTITION, 300), poison_record(PARTITION, 301)]}]

    def subscription(self) -> frozenset[str]:
        return frozenset({TOPIC})

    def subscribe(self, topics, listener) -> None:
        assert topics == [TOPIC]
        self.listener = listener

    async def getmany(self, timeout_ms: int = 0) -> dict:
        await asyncio.sleep(0.001)
        return self._batches.pop(0) if self._batches else {}

    async def commit(self, offsets) -> None:
        self.commits.append(dict(offsets))
        self.group_offsets.update(offsets)

    async def committed(self, tp) -> int | None:
        return self.group_offsets.get(tp)

    def seek(self, tp, offset) -> None:
        self.seeks.append((tp, offset))

    def assignment(self) -> set[TopicPartition]:
        return {PARTITION}

    def highwater(self, tp) -> None:
        return None


class DeadLetters:
    """Publishes nothing; `during_send` runs while the batch is in hand (a rebalance, a failure)."""

    def __init__(self, during_send=None) -> None:
        self.during_send = during_send
        self.sent = 0

    async def send(self, letters) -> None:
        self.sent += len(letters)
        if self.during_send is not None:
            await self.during_send()


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
