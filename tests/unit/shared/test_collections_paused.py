"""No garbage collector pass inside a consumer batch: `collections_paused` switches the collector
off for its block and back on after the last of overlapping blocks, and leaves alone a collector
someone else switched off; the consumer holds one over each batch, a failed one included."""

from __future__ import annotations

import asyncio
import gc

import pytest
from aiokafka import TopicPartition
from consumer_fakes import FakeSession, poison_record
from orderpulse.heap import collections_paused
from orderpulse.messaging.consumer import IdempotentConsumer

TOPIC = "orderpulse.orders"
PARTITION = TopicPartition(TOPIC, 0)


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_no_pass_inside_the_block_and_passes_again_after_it():
    with collections_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_the_last_of_overlapping_blocks():
    first, second = collections_paused(), collections_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "the second block is still open"
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error_in_the_block():
    with pytest.raises(RuntimeError), collections_paused():
        raise RuntimeError("handler failed")
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off():
    gc.disable()
    with collections_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


async def test_overlapping_batches_of_two_consumers_in_one_event_loop():
    both_inside = asyncio.Event()
    inside = 0

    async def batch() -> None:
        nonlocal inside
        with collections_paused():
            inside += 1
            if inside == 2:
                both_inside.set()
            await both_inside.wait()
            await asyncio.sleep(0)
            assert not gc.isenabled()

    await asyncio.gather(batch(), batch())
    assert gc.isenabled()


class FakeKafka:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    def subscription(self) -> frozenset[str]:
        return frozenset()

    async def commit(self, offsets) -> None:
        self.commits.append(dict(offsets))


class DeadLetters:
    """Notes whether the collector was on while the batch was in hand; may fail the batch."""

    def __init__(self, error: Exception | None = None) -> None:
        self.collector_on: list[bool] = []
        self.error = error

    async def send(self, letters) -> None:
        self.collector_on.append(gc.isenabled())
        await asyncio.sleep(0)
        if self.error is not None:
            raise self.error


def consumer_with(dead_letters: DeadLetters, kafka: FakeKafka) -> IdempotentConsumer:
    return IdempotentConsumer(consumer=kafka, session_factory=FakeSession, handlers={},
                              dead_letters=dead_letters, service="gc-test-svc", max_attempts=1)


async def test_the_consumer_runs_a_batch_without_passes_and_passes_again_after_it():
    kafka, dead_letters = FakeKafka(), DeadLetters()
    result = await consumer_with(dead_letters, kafka).process({PARTITION: [poison_record(PARTITION, 7)]})
    assert len(result.dead_lettered) == 1 and kafka.commits == [{PARTITION: 8}]
    assert dead_letters.collector_on == [False]
    assert gc.isenabled()


async def test_a_failed_batch_leaves_the_collector_on():
    kafka, dead_letters = FakeKafka(), DeadLetters(ConnectionError("broker gone"))
    with pytest.raises(ConnectionError):
        await consumer_with(dead_letters, kafka).process({PARTITION: [poison_record(PARTITION, 7)]})
    assert dead_letters.collector_on == [False] and kafka.commits == []
    assert gc.isenabled()
