"""Idempotent consumer throughput (dedup + effects + offsets) against a bare getmany + orjson loop.

Method: N CloudEvents (order.cancelled, 1,000 keys) are produced to a fresh 12-partition topic.
The baseline reads them all with one aiokafka consumer (`getmany`, `orjson.loads` per value).
The measured run is the platform's IdempotentConsumer with a handler that inserts one row per
event: per batch of up to 500, one transaction claims the event ids (INSERT ... ON CONFLICT DO
NOTHING RETURNING), applies the handlers, commits, then commits the offsets. `--handler insert`
adds one SQLAlchemy INSERT per event; `--handler noop` measures the platform's own cost. Each figure is the
median of RUNS runs (each run uses a new consumer group and a fresh dedup table; group join
time is excluded: the clock starts at the first record). Bar (quality.md): ≥ 10,000 events/s.

    .venv/bin/python bench/consumer_dedup_bench.py [--events 50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import asyncpg
import orjson
from _harness import describe, infrastructure, machine
from orderpulse.db.engine import create_engine, create_session_factory
from orderpulse.db.platform_tables import PLATFORM_DDL
from orderpulse.events.envelope import new_envelope
from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.consumer import IdempotentConsumer
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import KafkaPublisher, OutgoingRecord, create_consumer, create_producer, ensure_topics
from orderpulse.settings import PlatformSettings
from orderpulse.testing.database import plain_dsn
from sqlalchemy import text

PROFILE = None
INSERT = text("INSERT INTO applied (event_id) VALUES (:e)")


async def record_event(session, envelope) -> None:
    await session.execute(INSERT, {"e": envelope.id})


async def ignore_event(session, envelope) -> None:
    return None


HANDLERS = {"insert": record_event, "noop": ignore_event}


def main(events: int, runs: int, handler: str = "insert") -> None:
    print(f"consumer benchmark · {machine()}")
    print(__doc__.split("\n\n")[1])
    with infrastructure() as infra:
        asyncio.run(measure(infra, events, runs, handler))


async def measure(infra, events: int, runs: int, handler: str) -> None:
    topic = f"bench.consumer.{uuid.uuid4().hex[:8]}"
    service = "bench-consumer"
    await ensure_topics(infra.kafka_bootstrap, [topic, dlq_topic(service)], partitions=12)
    settings = PlatformSettings(
        kafka_bootstrap=infra.kafka_bootstrap, service_name=service,
        consumer_session_timeout_ms=2_000, consumer_heartbeat_interval_ms=200,
    )
    producer = create_producer(settings)
    await producer.start()
    publisher = KafkaPublisher(producer)
    records = []
    for i in range(events):
        order_id = f"ord_{i % 1000:06d}"
        envelope = new_envelope(
            type="order.cancelled.v1", source="/bench", key=order_id,
            data={"order_id": order_id, "reason": "customer changed their mind", "cancelled_by": "storefront"},
        )
        records.append(OutgoingRecord(topic=topic, key=order_id, value=envelope.to_json()))
    for start in range(0, events, 2000):
        await publisher.publish(records[start:start + 2000])

    baseline = [await bare_loop(settings, topic, events) for _ in range(runs)]

    conn = await asyncpg.connect(plain_dsn(infra.database_url))
    rates = []
    for run in range(runs):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        await conn.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
        for statement in PLATFORM_DDL:
            await conn.execute(statement)
        await conn.execute("CREATE TABLE applied (event_id TEXT NOT NULL)")
        engine = create_engine(infra.database_url, schema=schema)
        kafka_consumer = create_consumer(settings, topic, group_id=f"bench-{schema}")
        runner = IdempotentConsumer(
            consumer=kafka_consumer, session_factory=create_session_factory(engine),
            handlers={"orderpulse.order.cancelled.v1": HANDLERS[handler]},
            dead_letters=DeadLetterQueue(publisher, service), service=service,
        )
        await kafka_consumer.start()
        done = 0
        started = None
        while done < events:
            batch = await kafka_consumer.getmany(timeout_ms=500)
            if batch and started is None:
                started = time.perf_counter()
            if batch:
                if run == 0 and PROFILE is not None:
                    PROFILE.enable()
                done += (await runner.process(batch)).applied
                if run == 0 and PROFILE is not None:
                    PROFILE.disable()
        rates.append(events / (time.perf_counter() - started))
        await kafka_consumer.stop()
        await engine.dispose()
        expected_rows = events if handler == "insert" else 0
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".applied') == expected_rows
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".processed_events') == events
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await conn.close()
    await producer.stop()
    print(describe("baseline: getmany + orjson.loads", baseline))
    print(describe(f"idempotent consumer, handler={handler}", rates))
    print(f"ratio consumer / baseline: {statistics.median(rates) / statistics.median(baseline):.2f}"
          f"   bar: ≥ 10,000 events/s → {'met' if statistics.median(rates) >= 10_000 else 'NOT met'}")
    value, base = statistics.median(rates), statistics.median(baseline)
    print(f"RESULT consumer_dedup_{handler} value={value:.0f}/s baseline={base:.0f}/s ratio={value / base:.3f}")


async def bare_loop(settings: PlatformSettings, topic: str, events: int) -> float:
    consumer = create_consumer(settings, topic, group_id=f"bare-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    seen = 0
    started = None
    while seen < events:
        batch = await consumer.getmany(timeout_ms=500)
        if batch and started is None:
            started = time.perf_counter()
        for partition_records in batch.values():
            for record in partition_records:
                orjson.loads(record.value)
                seen += 1
    rate = events / (time.perf_counter() - started)
    await consumer.stop()
    return rate


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--handler", choices=sorted(HANDLERS), default="insert",
                        help="insert: one SQLAlchemy INSERT per event; noop: the platform's own cost (dedup, commit, offsets)")
    options = parser.parse_args()
    main(options.events, options.runs, options.handler)
