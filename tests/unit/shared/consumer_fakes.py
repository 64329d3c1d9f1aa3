"""Fakes of the consumer's ports shared by its unit tests (not a test module)."""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord


def poison_record(partition: TopicPartition, offset: int) -> ConsumerRecord:
    """A record on `partition` whose value is not JSON: the consumer dead-letters it."""
    return ConsumerRecord(topic=partition.topic, partition=partition.partition, offset=offset, timestamp=0,
                          timestamp_type=0, key=b"k", value=b"not json", checksum=None, serialized_key_size=1,
                          serialized_value_size=8, headers=[])


class FakeSession:
    """A session factory's session and its transaction in one: nothing runs, everything commits."""

    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(self, *_exc) -> None:
        return None

    def begin(self) -> FakeSession:
        return self
