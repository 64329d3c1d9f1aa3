"""Batch handlers: one call per batch on the fast path, the per-event redo path for failures, and the
same effects, duplicates and dead letters as a per-event handler given the same records.

Most tests hand `process()` a batch read from the broker, so its makeup (a duplicate, a poison
record, a failing event) is certain; their consumers never join a group, so the offset commit
after each batch fails and is only logged, as after a rebalance.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from consumer_harness import CANCELLED, Harness, cancelled, record_application
from consumer_harness import applied_count_is as _count_is
from orderpulse.events.envelope import new_envelope
from orderpulse.messaging.consumer import Batched, IdempotentConsumer
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import create_consumer, read_to_end
from sqlalchemy import text

INSERT_MANY = text(
    "INSERT INTO applied (event_id, order_id) SELECT * FROM unnest(CAST(:e AS text[]), CAST(:o AS text[]))"
)


class RecordingBatchHandler:
    """Writes every event of the batch with one statement; an event whose reason is 'explode' fails it."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def __call__(self, session, envelopes) -> None:
        self.calls.append([envelope.id for envelope in envelopes])
        if any(envelope.data["reason"] == "explode" for envelope in envelopes):
            raise ValueError("this event always fails")
        await session.execute(
            INSERT_MANY,
            {"e": [envelope.id for envelope in envelopes], "o": [envelope.data["order_id"] for envelope in envelopes]},
        )


async def records_of(harness: Harness) -> dict[TopicPartition, list]:
    """Everything produced so far, as the consumer would get it from `getmany` (one partition)."""
    reader = AIOKafkaConsumer(bootstrap_servers=harness.settings.kafka_bootstrap, group_id=None,
                              enable_auto_commit=False, auto_offset_reset="earliest")
    await reader.start()
    try:
        partition = TopicPartition(harness.topic, 0)
        reader.assign([partition])
        await reader.seek_to_beginning(partition)
        return {partition: await read_to_end(reader)}
    finally:
        await reader.stop()


async def produce_mixed_batch(harness: Harness) -> None:
    """Good events, one of them twice, a record that is not JSON and an event whose handler always fails."""
    good = [cancelled(f"ord_{i}", reason=str(i)) for i in range(12)]
    for value in good[:6]:
        await harness.producer.send_and_wait(harness.topic, key=b"k", value=value, partition=0)
    await harness.producer.send_and_wait(harness.topic, key=b"k", value=good[2], partition=0)  # a duplicate
    await harness.producer.send_and_wait(harness.topic, key=b"k", value=b"{not json", partition=0)
    await harness.producer.send_and_wait(harness.topic, key=b"k", value=cancelled("ord_x", reason="explode"), partition=0)
    for value in good[6:]:
        await harness.producer.send_and_wait(harness.topic, key=b"k", value=value, partition=0)


async def effects(sessions) -> tuple[list[tuple[str, str]], list[str]]:
    async with sessions() as session:
        applied = (await session.execute(text("SELECT event_id, order_id FROM applied ORDER BY event_id"))).all()
        processed = (await session.execute(text("SELECT event_id FROM processed_events ORDER BY event_id"))).scalars()
        return [tuple(row) for row in applied], list(processed)


def outcome(result) -> tuple[int, int, int, list[tuple[int, str]]]:
    letters = sorted((letter.record.offset, letter.error) for letter in result.dead_lettered)
    return result.applied, result.duplicates, result.ignored, letters


async def test_a_batch_handler_is_called_once_with_every_new_event_of_the_batch(kafka_bootstrap, sessions, unique_name):
    async with Harness(kafka_bootstrap, sessions, f"test.batched.{unique_name}", f"batched-{unique_name}") as harness:
        for i in range(10):
            await harness.producer.send_and_wait(harness.topic, key=b"k", value=cancelled(f"ord_{i}"), partition=0)
        first = (await records_of(harness))[TopicPartition(harness.topic, 0)][0]
        await harness.producer.send_and_wait(harness.topic, key=b"k", value=first.value, partition=0)
        batch = await records_of(harness)
        handler = RecordingBatchHandler()
        runner, kafka_consumer = harness.consumer(handler=Batched(handler))
        result = await runner.process(batch)
        await kafka_consumer.stop()

    assert len(handler.calls) == 1 and len(handler.calls[0]) == 10
    assert (result.applied, result.duplicates, result.dead_lettered) == (10, 1, [])
    applied, processed = await effects(sessions)
    assert len(applied) == 10 and len(processed) == 10


async def test_a_batch_with_a_duplicate_a_poison_record_and_a_failing_event_ends_as_the_per_event_path_does(
    kafka_bootstrap, sessions, other_sessions, unique_name
):
    async with Harness(kafka_bootstrap, sessions, f"test.same.{unique_name}", f"same-{unique_name}") as harness:
        await produce_mixed_batch(harness)
        batch = await records_of(harness)
        per_event, kafka_consumer = harness.consumer(handler=record_application)
        per_event_result = await per_event.process(batch)
        await kafka_consumer.stop()

        harness.sessions = other_sessions
        handler = RecordingBatchHandler()
        batched, kafka_consumer = harness.consumer(handler=Batched(handler))
        batched_result = await batched.process(batch)
        replayed = await batched.process(batch)  # the same records again, as after a replay from offset zero
        await kafka_consumer.stop()

    assert outcome(batched_result) == outcome(per_event_result)
    applied, processed = outcome(batched_result)[0], outcome(batched_result)[1]
    assert (applied, processed) == (12, 1)
    assert [error.split(":")[0] for _, error in outcome(batched_result)[3]] == ["value is not JSON", "ValueError"]
    assert await effects(other_sessions) == await effects(sessions)
    assert len((await effects(other_sessions))[0]) == 12, "every good event applied once; the failing one not"
    assert len(handler.calls[0]) == 13, "the fast path got the batch's new events at once, then failed on one"
    assert all(len(call) == 1 for call in handler.calls[1:]), "the redo went event by event"
    assert replayed.applied == 0 and replayed.duplicates == 13, "the 12 good events and the duplicate record"
    assert await effects(other_sessions) == await effects(sessions), "a replay changes nothing"


async def test_a_running_consumer_with_a_batch_handler_applies_every_record_given_twice_once(
    kafka_bootstrap, sessions, unique_name
):
    async with Harness(kafka_bootstrap, sessions, f"test.bdups.{unique_name}", f"bdups-{unique_name}") as harness:
        values = [(f"ord_{i % 7}", cancelled(f"ord_{i % 7}", reason=str(i))) for i in range(120)]
        for key, value in values + values:
            await harness.produce(key, value)
        handler = RecordingBatchHandler()
        runner, kafka_consumer = harness.consumer(handler=Batched(handler))
        await harness.run_until(runner, kafka_consumer, lambda: _count_is(sessions, 120))

    applied, processed = await effects(sessions)
    assert len(applied) == len({event_id for event_id, _ in applied}) == len(processed) == 120


RELEASED = "orderpulse.order.released.v1"
SEEN = text(
    "INSERT INTO applied (event_id, order_id) "
    "SELECT :e, 'seen ' || (SELECT count(*) FROM applied WHERE order_id = :o)"
)


def released(order_id: str) -> bytes:
    return new_envelope(type="order.released.v1", source="/platform-test", key=order_id,
                        data={"order_id": order_id}).to_json()


async def record_what_was_seen(session, envelopes) -> None:
    """A batch handler whose effect depends on what the per-event handler wrote before it."""
    for envelope in envelopes:
        await session.execute(SEEN, {"e": envelope.id, "o": envelope.data["order_id"]})


async def test_the_redo_path_runs_a_batch_handler_where_the_fast_path_does_after_the_per_event_handlers(
    kafka_bootstrap, sessions, other_sessions, unique_name
):
    """The same batch once on the fast path and once redone (a poison event in it): what a batch
    handler sees of the per-event handlers' effects is the same (it used to run in arrival order
    on the redo path, before a per-event handler of an event read after it)."""
    async with Harness(kafka_bootstrap, sessions, f"test.order.{unique_name}", f"order-{unique_name}") as harness:
        for value in (released("ord_1"), cancelled("ord_1"), released("ord_1"), cancelled("ord_2"), released("ord_2")):
            await harness.producer.send_and_wait(harness.topic, key=b"k", value=value, partition=0)
        clean = await records_of(harness)
        await harness.producer.send_and_wait(harness.topic, key=b"k", value=cancelled("ord_x", reason="explode"), partition=0)
        with_poison = await records_of(harness)
        outcomes = []
        for session_factory, batch in ((sessions, clean), (other_sessions, with_poison)):
            kafka_consumer = create_consumer(harness.settings, harness.topic, group_id=f"g-{unique_name}")
            runner = IdempotentConsumer(
                consumer=kafka_consumer, session_factory=session_factory,
                handlers={CANCELLED: record_application, RELEASED: Batched(record_what_was_seen)},
                dead_letters=DeadLetterQueue(harness.publisher, harness.service), service=harness.service,
                max_attempts=2, retry_backoff_s=0.01,
            )
            outcomes.append(await runner.process(batch))
            await kafka_consumer.stop()

    fast, redone = outcomes
    assert (fast.applied, len(fast.dead_lettered)) == (5, 0)
    assert (redone.applied, len(redone.dead_lettered)) == (5, 1)
    seen_fast = sorted(order_id for _, order_id in (await effects(sessions))[0] if order_id.startswith("seen"))
    seen_redone = sorted(order_id for _, order_id in (await effects(other_sessions))[0] if order_id.startswith("seen"))
    assert seen_fast == ["seen 1", "seen 1", "seen 1"]  # every cancellation of its order was written before
    assert seen_redone == seen_fast


async def test_a_batch_of_recorded_new_and_repeated_events_applies_only_the_new_once(kafka_bootstrap, sessions, unique_name):
    """The claim answers with the ids it recorded (one JSON array): the events already recorded
    and the second copy of a new one inside the batch are duplicates, on the per-event and the
    batch path; ids JSON escapes (quotes, backslashes, control characters, non-ASCII) come back
    as they went."""
    async with Harness(kafka_bootstrap, sessions, f"test.claim.{unique_name}", f"claim-{unique_name}") as harness:
        odd_ids = ['a"quote', "back\\slash", "tab\tnew\nline\x01", "ünïcödé-😀", "\u2028sep"]
        values = [
            new_envelope(type="order.cancelled.v1", source="/platform-test", key=f"ord_{i}",
                         event_id=odd_ids[i] if i < len(odd_ids) else None,
                         data={"order_id": f"ord_{i}", "reason": str(i), "cancelled_by": "storefront"}).to_json()
            for i in range(10)
        ]
        for value in values[:4]:
            await harness.producer.send_and_wait(harness.topic, key=b"k", value=value, partition=0)
        per_event, kafka_consumer = harness.consumer(handler=record_application)
        first = await per_event.process(await records_of(harness))
        for value in values[4:] + [values[6], values[1], values[9]]:
            await harness.producer.send_and_wait(harness.topic, key=b"k", value=value, partition=0)
        second = await per_event.process(await records_of(harness))  # 0-3 recorded, 4-9 new, 6 and 9 twice, 1 again
        await kafka_consumer.stop()
        handler = RecordingBatchHandler()
        batched, kafka_consumer = harness.consumer(handler=Batched(handler))
        third = await batched.process(await records_of(harness))
        await kafka_consumer.stop()

    assert (first.applied, first.duplicates) == (4, 0)
    assert (second.applied, second.duplicates) == (6, 7)
    assert (third.applied, third.duplicates) == (0, 13) and handler.calls == []
    applied, processed = await effects(sessions)
    assert len(applied) == 10 and len(processed) == 10
    assert sorted(order_id for _, order_id in applied) == sorted(f"ord_{i}" for i in range(10))
    assert set(odd_ids) <= set(processed)
