"""The publisher remembers the offsets Kafka acknowledged per partition; one below an earlier one
can only mean the partition was made again under it (a broker reset), which the relay must hear."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from aiokafka.structs import RecordMetadata
from orderpulse.messaging.kafka import KafkaPublisher

TOPIC = "orderpulse.orders"


def acknowledged(partition: int, offset: int) -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_result(RecordMetadata(topic=TOPIC, partition=partition, topic_partition=TopicPartition(TOPIC, partition),
                                     offset=offset, timestamp=0, timestamp_type=0, log_start_offset=0))
    return future


async def test_growing_offsets_are_remembered_per_partition():
    publisher = KafkaPublisher(producer=None)
    for partition, offset in ((0, 10), (1, 4), (0, 25)):
        publisher._note_acknowledged(acknowledged(partition, offset))  # noqa: SLF001
    assert publisher.acknowledged == {(TOPIC, 0): 25, (TOPIC, 1): 4}
    assert not publisher.went_backwards


async def test_an_offset_below_an_earlier_one_means_the_partition_was_made_again():
    publisher = KafkaPublisher(producer=None)
    publisher._note_acknowledged(acknowledged(2, 900))  # noqa: SLF001
    publisher._note_acknowledged(acknowledged(2, 140))  # noqa: SLF001
    assert publisher.went_backwards
    await publisher.forget()
    assert not publisher.went_backwards and publisher.acknowledged == {}


async def test_a_failed_or_cancelled_send_is_not_an_acknowledgement():
    publisher = KafkaPublisher(producer=None)
    failed = asyncio.get_running_loop().create_future()
    failed.set_exception(ConnectionError("broker gone"))
    cancelled = asyncio.get_running_loop().create_future()
    cancelled.cancel()
    publisher._note_acknowledged(failed)  # noqa: SLF001
    publisher._note_acknowledged(cancelled)  # noqa: SLF001
    assert publisher.acknowledged == {} and not publisher.went_backwards
