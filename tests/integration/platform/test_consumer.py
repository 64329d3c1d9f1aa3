"""The idempotent consumer: duplicates applied once, poison on the DLQ, offsets only after effects."""

from __future__ import annotations

import asyncio

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from consumer_harness import Harness, applied_count, cancelled, record_application
from consumer_harness import applied_count_is as _count_is
from consumer_harness import counter_at_least as _ge
from orderpulse.events.topics import dlq_topic
from orderpulse.observability import metrics
from orderpulse.testing.kafka_probe import TopicProbe
from sqlalchemy import text


async def test_a_consumer_given_every_record_twice_applies_each_once(kafka_bootstrap, sessions, unique_name):
    async with Harness(kafka_bootstrap, sessions, f"test.dups.{unique_name}", f"dups-{unique_name}") as harness:
        values = [(f"ord_{i % 7}", cancelled(f"ord_{i % 7}", reason=str(i))) for i in range(120)]
        for key, value in values + values:
            await harness.produce(key, value)
        runner, kafka_consumer = harness.consumer()
        duplicates = metrics.consumer_records_total.labels(harness.service, harness.topic, "duplicate")
        await harness.run_until(runner, kafka_consumer, lambda: _ge(duplicates, 120))

    async with sessions() as session:
        rows = (await session.execute(text("SELECT event_id, count(*) FROM applied GROUP BY event_id"))).all()
    assert len(rows) == 120
    assert all(count == 1 for _, count in rows)


async def test_replaying_from_offset_zero_with_a_new_consumer_changes_nothing(kafka_bootstrap, sessions, unique_name):
    async with Harness(kafka_bootstrap, sessions, f"test.replay.{unique_name}", f"replay-{unique_name}") as harness:
        for i in range(50):
            await harness.produce(f"ord_{i}", cancelled(f"ord_{i}"))
        runner, kafka_consumer = harness.consumer()
        await harness.run_until(runner, kafka_consumer, lambda: _count_is(sessions, 50))
        # a different group starts from offset zero: every record is a duplicate now
        harness.service = f"replay2-{unique_name}"
        runner, kafka_consumer = harness.consumer()
        duplicates = metrics.consumer_records_total.labels(harness.service, harness.topic, "duplicate")
        await harness.run_until(runner, kafka_consumer, lambda: _ge(duplicates, 50))
    assert await applied_count(sessions) == 50


async def test_poison_records_land_on_the_dlq_with_the_error_and_the_consumer_goes_on(
    kafka_bootstrap, sessions, unique_name
):
    service = f"poison-{unique_name}"
    async with Harness(kafka_bootstrap, sessions, f"test.poison.{unique_name}", service) as harness:
        unknown = orjson.loads(cancelled("ord_u"))
        unknown["type"] = "orderpulse.order.teleported.v1"
        violating = orjson.loads(cancelled("ord_v"))
        del violating["data"]["reason"]
        poison = {
            "not JSON": b"{this is not json",
            "unknown event type": orjson.dumps(unknown),
            "violates its schema": orjson.dumps(violating),
            "bytes; the limit": b'{"padding": "' + b"x" * (1024 * 1024) + b'"}',
            "always fails": cancelled("ord_x", reason="explode"),
        }
        await harness.produce("ord_good_1", cancelled("ord_good_1"))
        for key, value in poison.items():
            await harness.produce(key[:8], value)
        await harness.produce("ord_good_2", cancelled("ord_good_2"))

        async with TopicProbe(kafka_bootstrap, [dlq_topic(service)], from_beginning=True) as dlq:
            runner, kafka_consumer = harness.consumer()
            await harness.run_until(runner, kafka_consumer, lambda: _count_is(sessions, 2))
            letters = await dlq.wait_until(lambda rs: len(rs) >= len(poison))

    errors = [dict(letter.headers)["orderpulse_error"].decode() for letter in letters]
    for expected in poison:
        assert any(expected in error for error in errors), f"no DLQ record says {expected!r}: {errors}"
    oversized = next(letter for letter in letters if b"bytes; the limit" in dict(letter.headers)["orderpulse_error"])
    assert int(dict(oversized.headers)["orderpulse_original_size"]) > 1024 * 1024
    failing = next(letter for letter in letters if b"always fails" in dict(letter.headers)["orderpulse_error"])
    assert dict(failing.headers)["orderpulse_attempts"] == b"3"
    assert metrics.dlq_records_total.labels(service, harness.topic)._value.get() == len(poison)  # noqa: SLF001
    async with sessions() as session:
        orders = set((await session.execute(text("SELECT order_id FROM applied"))).scalars())
    assert orders == {"ord_good_1", "ord_good_2"}


async def test_offsets_are_not_committed_before_the_effects_are(kafka_bootstrap, sessions, unique_name):
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow_handler(session, envelope) -> None:
        entered.set()
        await release.wait()
        await record_application(session, envelope)

    topic = f"test.commit.{unique_name}"
    async with Harness(kafka_bootstrap, sessions, topic, f"commit-{unique_name}") as harness:
        for i in range(5):
            await harness.produce("ord_same_key", cancelled("ord_same_key", reason=str(i)))
        runner, kafka_consumer = harness.consumer(handler=slow_handler)
        await kafka_consumer.start()
        task = asyncio.create_task(runner.run())
        try:
            await asyncio.wait_for(entered.wait(), 20)
            partitions = [TopicPartition(topic, p) for p in kafka_consumer.partitions_for_topic(topic)]
            committed = [await kafka_consumer.committed(tp) for tp in partitions]
            assert all(offset in (None, 0) for offset in committed), "offset committed while the effects were pending"
            assert await applied_count(sessions) == 0
            release.set()
            await _wait(lambda: _count_is(sessions, 5))
            await _wait(lambda: _committed_total(kafka_consumer, partitions, 5))
        finally:
            release.set()
            runner.stop()
            await asyncio.wait_for(task, 15)
            await kafka_consumer.stop()


async def _committed_total(consumer: AIOKafkaConsumer, partitions, expected: int) -> bool:
    return sum([(await consumer.committed(tp)) or 0 for tp in partitions]) == expected


async def _wait(condition, timeout_s: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_a_consumer_stopped_mid_stream_resumes_where_it_committed_and_applies_each_once(
    kafka_bootstrap, sessions, unique_name
):
    async with Harness(kafka_bootstrap, sessions, f"test.resume.{unique_name}", f"resume-{unique_name}") as harness:
        for i in range(300):
            await harness.produce(f"ord_{i % 11}", cancelled(f"ord_{i % 11}", reason=str(i)))
        runner, kafka_consumer = harness.consumer()
        await harness.run_until(runner, kafka_consumer, lambda: _at_least(sessions, 1))
        runner, kafka_consumer = harness.consumer()
        await harness.run_until(runner, kafka_consumer, lambda: _count_is(sessions, 300))
    async with sessions() as session:
        distinct = (await session.execute(text("SELECT count(DISTINCT event_id) FROM applied"))).scalar_one()
    assert distinct == 300 and await applied_count(sessions) == 300


async def _at_least(sessions, n: int) -> bool:
    return await applied_count(sessions) >= n
