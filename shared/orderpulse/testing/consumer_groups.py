"""Consumer groups that start where the topics end now: a service under test then reads only what
its test produces, not every record earlier tests left on the shared topics for a group of its name."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata


async def start_groups_at_end(bootstrap: str, groups: Sequence[str], topics: Sequence[str]) -> None:
    """Commit, for each group, the current end of every partition of `topics` (no member of the
    groups may be running: the commit is made outside any generation of the group)."""
    for group in groups:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()  # the cluster's metadata, every topic's partitions in it
            partitions = [
                TopicPartition(topic, partition)
                for topic in topics
                for partition in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            missing = set(topics) - {tp.topic for tp in partitions}
            if missing:
                raise RuntimeError(f"topics without partitions in the broker's metadata: {sorted(missing)}")
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
        finally:
            await consumer.stop()
