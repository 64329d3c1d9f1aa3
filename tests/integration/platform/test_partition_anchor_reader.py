"""The anchor check's reader (`KafkaRecordReader`) against the real broker: a record in the last
batch of a partition is found where it is, and only an offset at or past the log's end is judged
rebuilt. Tansu answers a partition's end as its last batch's first offset + 1; the reader used to
take that for the end, so a consumer whose anchor sat in the last batch was judged rebuilt and read
the whole partition again at every check."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from orderpulse.messaging.kafka import ensure_topics, read_to_end
from orderpulse.messaging.partition_anchors import REBUILT, KafkaRecordReader
from orderpulse.messaging.rebuilt_partitions import fingerprint

BATCHES, PER_BATCH = 4, 25


async def _produce_in_batches(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=50)
    await producer.start()
    try:
        for batch in range(BATCHES):
            sent = [await producer.send(topic, f"{batch}-{n}".encode(), key=b"k", partition=0) for n in range(PER_BATCH)]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, tp: TopicPartition) -> list:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                              auto_offset_reset="earliest")
    await reader.start()
    try:
        reader.assign([tp])
        await reader.seek_to_beginning(tp)
        return await read_to_end(reader)
    finally:
        await reader.stop()


async def test_records_of_the_last_batch_are_found_and_only_the_end_is_rebuilt(kafka_bootstrap, unique_name):
    topic = f"test.anchors.{unique_name}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    await _produce_in_batches(kafka_bootstrap, topic)
    tp = TopicPartition(topic, 0)
    records = await _read_all(kafka_bootstrap, tp)
    assert len(records) == BATCHES * PER_BATCH
    last, in_last_batch = records[-1], records[-PER_BATCH // 2]

    reader = KafkaRecordReader(kafka_bootstrap)
    assert await reader.fingerprints_at({tp: last.offset}) == {tp: fingerprint(last)}
    assert await reader.fingerprints_at({tp: in_last_batch.offset}) == {tp: fingerprint(in_last_batch)}
    assert await reader.fingerprints_at({tp: records[3].offset}) == {tp: fingerprint(records[3])}
    assert await reader.fingerprints_at({tp: last.offset + 1}) == {tp: REBUILT}
