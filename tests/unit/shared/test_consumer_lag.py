"""The consumer-lag gauge follows the partitions a replica holds: a partition a rebalance took
away, or every partition once the consumer stops, leaves no frozen series behind."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from orderpulse.messaging.consumer import IdempotentConsumer
from prometheus_client import REGISTRY

SERVICE = "lag-test-svc"
TOPIC = "orderpulse.orders"


class FakeKafka:
    """Just what the consumer loop asks of aiokafka: no records, an assignment that can shrink."""

    def __init__(self, partitions: list[int]) -> None:
        self.assigned = {TopicPartition(TOPIC, partition) for partition in partitions}
        self.polls = 0

    async def getmany(self, timeout_ms: int = 0) -> dict:
        self.polls += 1
        await asyncio.sleep(0.001)
        return {}

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def subscription(self) -> frozenset[str]:
        return frozenset()

    def highwater(self, tp: TopicPartition) -> int:
        return 100

    async def position(self, tp: TopicPartition) -> int:
        return 40 + tp.partition


def lag(partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "orderpulse_consumer_lag", {"service": SERVICE, "topic": TOPIC, "partition": str(partition)})


async def polls_until(kafka: FakeKafka, count: int) -> None:
    start = kafka.polls
    async with asyncio.timeout(5):
        while kafka.polls < start + count:
            await asyncio.sleep(0.001)


async def test_a_revoked_partition_loses_its_lag_series_and_stopping_clears_the_rest():
    kafka = FakeKafka([0, 1, 2])
    consumer = IdempotentConsumer(consumer=kafka, session_factory=None, handlers={}, dead_letters=None,
                                  service=SERVICE)
    running = asyncio.create_task(consumer.run())
    await polls_until(kafka, 2)
    assert [lag(0), lag(1), lag(2)] == [60, 59, 58]

    kafka.assigned.discard(TopicPartition(TOPIC, 1))  # a rebalance gives partition 1 to another replica
    await polls_until(kafka, 2)
    assert [lag(0), lag(1), lag(2)] == [60, None, 58]

    consumer.stop()
    await asyncio.wait_for(running, 5)
    assert [lag(0), lag(2)] == [None, None]
