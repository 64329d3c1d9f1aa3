"""The embedded broker restarted empty while a consumer kept its positions, and the relay
republished past them before the consumer's next fetch: the consumer must still apply the rebuilt
partition's records below its old position (`partition_anchors`). Found by the broker drill, where
24 republished order events below fulfillment-svc's position were never applied.

In the drill the consumer fetches and commits at its old positions in the moment before its group
coordinator notices the restart (Tansu answers members it no longer knows), and the rebalance that
follows hands back the offset it just committed. Here that moment is made to last: the consumer's
partitions are assigned to it directly (no group rebalance ever resets its positions), and its
fetches are held (partitions paused) from the restart until the new partition is longer than the
old position. Without the anchors, the first 20 republished records are skipped (checked)."""

from __future__ import annotations

import asyncio

import orjson
from aiokafka import TopicPartition
from consumer_harness import CANCELLED, Harness, cancelled, record_application
from orderpulse.messaging.consumer import IdempotentConsumer
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import create_consumer, create_producer, ensure_topics
from orderpulse.messaging.partition_anchors import KafkaRecordReader, PartitionAnchors
from orderpulse.stack.broker import EmbeddedBroker
from orderpulse.stack.processes import free_port
from sqlalchemy import text

OLD, NEW = 20, 60


async def test_a_partition_rebuilt_past_the_consumer_position_is_read_again_from_its_beginning(
    sessions, unique_name, tmp_path
):
    broker = EmbeddedBroker(port=free_port(), log_dir=tmp_path)
    await asyncio.to_thread(broker.start)
    try:
        await _drill(broker, sessions, unique_name)
    finally:
        await asyncio.to_thread(broker.stop)


async def _drill(broker: EmbeddedBroker, sessions, unique_name: str) -> None:
    service = f"rebuilt-{unique_name}"
    topic = f"orderpulse.test.rebuilt-{unique_name}"
    old = [cancelled(f"ord_old_{i}") for i in range(OLD)]
    new = [cancelled(f"ord_new_{i}") for i in range(NEW)]
    last_old = orjson.loads(old[-1])["data"]["order_id"]
    restarted = asyncio.Event()
    held = asyncio.Event()

    async with Harness(broker.bootstrap, sessions, topic, service) as harness:
        anchors = PartitionAnchors(KafkaRecordReader(broker.bootstrap), interval_s=0.2)
        kafka_consumer = create_consumer(harness.settings, group_id=f"group-{service}")  # no subscription
        runner = IdempotentConsumer(
            consumer=kafka_consumer, session_factory=sessions, handlers={CANCELLED: record_application},
            dead_letters=DeadLetterQueue(harness.publisher, service), service=service, anchors=anchors)
        kafka_consumer.assign([TopicPartition(topic, partition) for partition in range(3)])

        async def hold_at_the_last_old_event(session, envelope) -> None:
            if envelope.data["order_id"] == last_old and not restarted.is_set():
                kafka_consumer.pause(*kafka_consumer.assignment())  # no fetch until the new log is long
                held.set()
                await restarted.wait()
            await record_application(session, envelope)

        runner._handlers[CANCELLED] = hold_at_the_last_old_event  # noqa: SLF001
        for value in old:
            await harness.produce("one-key", value)

        async def restart_and_republish() -> None:
            await held.wait()
            await asyncio.to_thread(broker.stop)
            await asyncio.to_thread(broker.start)
            await ensure_topics(broker.bootstrap, [topic], partitions=3)
            producer = create_producer(harness.settings)
            await producer.start()
            try:
                for value in new:  # same key: the same partition, now 60 records long
                    await producer.send_and_wait(topic, key=b"one-key", value=value)
            finally:
                await producer.stop()
            restarted.set()
            kafka_consumer.resume(*kafka_consumer.assignment())

        restarting = asyncio.create_task(restart_and_republish())
        try:
            wanted = {orjson.loads(value)["id"] for value in old + new}
            await harness.run_until(runner, kafka_consumer, lambda: _applied_all(sessions, wanted), timeout_s=60)
        finally:
            restarting.cancel()
    assert await _applied_ids(sessions) == sorted(wanted), "each event applied exactly once"


async def _applied_ids(sessions) -> list[str]:
    async with sessions() as session:
        return sorted((await session.execute(text("SELECT event_id FROM applied"))).scalars().all())


async def _applied_all(sessions, wanted: set[str]) -> bool:
    return set(await _applied_ids(sessions)) >= wanted
