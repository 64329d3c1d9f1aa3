"""Reading what a test produced on a topic: from the offsets at the probe's start, with a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from orderpulse.messaging.kafka import read_to_end


class TopicProbe:
    """Collects every record published to `topics` after `start()`."""

    def __init__(self, bootstrap: str, topics: Sequence[str], *, from_beginning: bool = False) -> None:
        self._bootstrap = bootstrap
        self._topics = list(topics)
        self._from_beginning = from_beginning
        self._consumer: AIOKafkaConsumer | None = None
        self._started_ms = 0
        self.records: list[ConsumerRecord] = []

    async def start(self) -> TopicProbe:
        self._started_ms = int(time.time() * 1000)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await self._consumer.start()
        partitions = []
        for topic in self._topics:
            for _ in range(50):
                found = self._consumer.partitions_for_topic(topic)
                if found:
                    break
                await self._consumer._client.force_metadata_update()  # noqa: SLF001 - wait for a fresh topic
                await asyncio.sleep(0.1)
            partitions += [TopicPartition(topic, p) for p in sorted(found or ())]
        self._consumer.assign(partitions)
        if self._from_beginning:
            await self._consumer.seek_to_beginning(*partitions)
        else:
            ends = await self._consumer.end_offsets(partitions)
            for tp, offset in ends.items():
                self._consumer.seek(tp, offset)
        return self

    def partitions(self) -> set[TopicPartition]:
        """The topics' partitions the probe reads (all of them, as the broker knew them at its start)."""
        return set(self._consumer.assignment()) if self._consumer is not None else set()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def __aenter__(self) -> TopicProbe:
        return await self.start()

    async def __aexit__(self, *_exc) -> None:
        await self.stop()

    async def poll(self, timeout_s: float = 0.2) -> None:
        assert self._consumer is not None
        batch = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000))
        for records in batch.values():
            self._keep(records)

    def _keep(self, records: list[ConsumerRecord]) -> None:
        if self._from_beginning:
            self.records.extend(records)
        else:
            # Tansu answers ListOffsets(latest) with the first offset of the partition's last
            # batch + 1, not its end: records stamped before the probe started are not "after" it.
            self.records.extend(record for record in records if record.timestamp >= self._started_ms)

    async def wait_until(self, condition: Callable[[list[ConsumerRecord]], bool], timeout_s: float = 15.0) -> list[ConsumerRecord]:
        deadline = time.monotonic() + timeout_s
        while not condition(self.records):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout_s} s; saw {len(self.records)} records")
            await self.poll()
        return self.records

    async def settle(self, quiet_s: float = 1.0) -> list[ConsumerRecord]:
        """Keep reading until nothing new arrives for `quiet_s`."""
        count = -1
        while count != len(self.records):
            count = len(self.records)
            await self.poll(quiet_s)
        return self.records

    async def read_to_end(self, timeout_s: float = 30.0) -> list[ConsumerRecord]:
        """Keep reading until every partition reaches the end it had when called (see kafka.read_to_end)."""
        assert self._consumer is not None
        try:
            self._keep(await read_to_end(self._consumer, timeout_s))
        except TimeoutError as error:
            raise AssertionError(str(error)) from None
        return self.records

    def events(self, type_suffix: str | None = None) -> list[dict]:
        bodies = [orjson.loads(record.value) for record in self.records]
        if type_suffix is None:
            return bodies
        return [body for body in bodies if body.get("type", "").endswith(type_suffix)]


async def one_partition_batch(bootstrap: str, topic: str) -> dict[TopicPartition, list[ConsumerRecord]]:
    """Everything on partition 0 of `topic` so far, as a consumer would get it from `getmany`."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await reader.start()
    try:
        partition = TopicPartition(topic, 0)
        reader.assign([partition])
        await reader.seek_to_beginning(partition)
        return {partition: await read_to_end(reader)}
    finally:
        await reader.stop()
