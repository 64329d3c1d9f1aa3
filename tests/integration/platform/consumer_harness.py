"""The idempotent consumer under test: a topic, a DLQ, a handler writing to `applied`."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from orderpulse.events.envelope import new_envelope
from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.consumer import IdempotentConsumer
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import KafkaPublisher, create_consumer, create_producer, ensure_topics
from orderpulse.settings import PlatformSettings
from sqlalchemy import text

CANCELLED = "orderpulse.order.cancelled.v1"


def cancelled(order_id: str, reason: str = "test") -> bytes:
    envelope = new_envelope(
        type="order.cancelled.v1", source="/platform-test", key=order_id,
        data={"order_id": order_id, "reason": reason, "cancelled_by": "storefront"},
    )
    return envelope.to_json()


async def record_application(session, envelope) -> None:
    if envelope.data["reason"] == "explode":
        raise ValueError("this event always fails")
    await session.execute(
        text("INSERT INTO applied (event_id, order_id) VALUES (:e, :o)"),
        {"e": envelope.id, "o": envelope.data["order_id"]},
    )


class Harness:
    def __init__(self, kafka_bootstrap: str, sessions, topic: str, service: str) -> None:
        self.settings = PlatformSettings(
            kafka_bootstrap=kafka_bootstrap,
            service_name=service,
            consumer_retry_backoff_s=0.01,
            consumer_session_timeout_ms=2_000,
            consumer_heartbeat_interval_ms=200,
        )
        self.sessions = sessions
        self.topic = topic
        self.service = service
        self.producer = create_producer(self.settings, max_request_size=4 * 1024 * 1024)

    async def __aenter__(self) -> Harness:
        await ensure_topics(self.settings.kafka_bootstrap, [self.topic, dlq_topic(self.service)], partitions=3)
        await self.producer.start()
        return self

    async def __aexit__(self, *_exc) -> None:
        await self.producer.stop()

    @property
    def publisher(self) -> KafkaPublisher:
        return KafkaPublisher(self.producer)

    async def produce(self, key: str, value: bytes) -> None:
        await self.producer.send_and_wait(self.topic, key=key.encode(), value=value)

    def consumer(self, handler=record_application, **options) -> tuple[IdempotentConsumer, AIOKafkaConsumer]:
        kafka_consumer = create_consumer(self.settings, self.topic, group_id=f"group-{self.service}")
        runner = IdempotentConsumer(
            consumer=kafka_consumer,
            session_factory=self.sessions,
            handlers={CANCELLED: handler},
            dead_letters=DeadLetterQueue(KafkaPublisher(self.producer), self.service),
            service=self.service,
            max_attempts=3,
            retry_backoff_s=0.01,
            **options,
        )
        return runner, kafka_consumer

    async def run_until(self, runner: IdempotentConsumer, kafka_consumer: AIOKafkaConsumer, condition, timeout_s: float = 30):
        await kafka_consumer.start()
        task = asyncio.create_task(runner.run())
        try:
            deadline = asyncio.get_running_loop().time() + timeout_s
            while not await condition():
                assert asyncio.get_running_loop().time() < deadline, "consumer did not get there in time"
                assert not task.done(), f"consumer died: {task.exception() if task.done() else ''}"
                await asyncio.sleep(0.05)
        finally:
            runner.stop()
            await asyncio.wait_for(task, 15)
            await kafka_consumer.stop()


async def applied_count(sessions) -> int:
    async with sessions() as session:
        return (await session.execute(text("SELECT count(*) FROM applied"))).scalar_one()


async def counter_at_least(counter, value) -> bool:
    return counter._value.get() >= value  # noqa: SLF001


async def applied_count_is(sessions, expected: int) -> bool:
    return await applied_count(sessions) == expected
