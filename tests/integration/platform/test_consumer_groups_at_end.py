"""start_groups_at_end (orderpulse.testing.consumer_groups): a group then reads only what comes after."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from orderpulse.messaging.kafka import ensure_topics
from orderpulse.testing.consumer_groups import start_groups_at_end


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=value)
    finally:
        await producer.stop()


async def _read_as_group(bootstrap: str, group: str, topic: str, wanted: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    read: list[bytes] = []
    try:
        for _ in range(100):
            for records in (await consumer.getmany(timeout_ms=200)).values():
                read += [record.value for record in records]
            if len(read) >= wanted:
                break
    finally:
        await consumer.stop()
    return read


async def test_a_group_started_at_the_end_reads_only_later_records(kafka_bootstrap: str, unique_name: str):
    topic, group = f"groups-at-end-{unique_name}", f"group-{unique_name}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    earlier = [f"earlier-{n}".encode() for n in range(6)]
    await _produce(kafka_bootstrap, topic, earlier)

    await start_groups_at_end(kafka_bootstrap, [group], [topic])
    later = [f"later-{n}".encode() for n in range(6)]
    await _produce(kafka_bootstrap, topic, later)

    assert sorted(await _read_as_group(kafka_bootstrap, group, topic, len(later))) == sorted(later)
    # without it, a new group starts at the beginning (what the fixture protects a service under test from)
    assert sorted(await _read_as_group(kafka_bootstrap, f"other-{group}", topic, 12)) == sorted(earlier + later)
