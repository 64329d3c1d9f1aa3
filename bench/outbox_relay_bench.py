"""Outbox relay drain rate against a bare batch producer of the same records, measured in one run.

Method: N outbox rows (300-byte CloudEvents, 1,000 keys) are loaded into a fresh schema; the
relay drains them (SELECT --batch-size rows by id on its lock connection, publish with the batch
API, UPDATE published_at on a second connection once Kafka acknowledged the batch, up to 4
batches waiting for their mark) and the rate is N / elapsed. The baseline publishes the same N
values (without the relay's CloudEvents headers) with aiokafka's batch API, one batch at a time,
and no database. Baseline and relay runs alternate, so both see the same load. Each figure is
the median of RUNS runs (default 5), with min and max. Bar (quality.md): ≥ 50,000 events/s.

    .venv/bin/python bench/outbox_relay_bench.py [--events 50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import uuid

import asyncpg
from _harness import add_loop_option, describe, infrastructure, machine, repeat, resolve_loop, run_on_loop
from orderpulse.db.engine import create_engine
from orderpulse.db.platform_tables import PLATFORM_DDL
from orderpulse.events.envelope import new_envelope
from orderpulse.events.topics import ALL_TOPICS, ORDERS
from orderpulse.messaging.kafka import KafkaPublisher, OutgoingRecord, create_producer, ensure_topics
from orderpulse.messaging.relay import OutboxRelay
from orderpulse.settings import PlatformSettings
from orderpulse.testing.database import plain_dsn


def sample_rows(count: int) -> list[tuple]:
    rows = []
    for i in range(count):
        order_id = f"ord_{i % 1000:06d}"
        envelope = new_envelope(
            type="order.cancelled.v1", source="/bench", key=order_id,
            data={"order_id": order_id, "reason": "customer changed their mind", "cancelled_by": "storefront"},
        )
        rows.append((envelope.id, ORDERS, order_id, envelope.type, envelope.to_json()))
    return rows


def main(events: int, runs: int, batch_size: int, loop: str = "uvloop") -> None:
    print(f"outbox relay benchmark · {machine()} · {loop}")
    print(__doc__.split("\n\n")[1])
    with infrastructure() as infra:
        run_on_loop(measure(infra, events, runs, batch_size), loop)


async def measure(infra, events: int, runs: int, batch_size: int) -> None:
    await ensure_topics(infra.kafka_bootstrap, list(ALL_TOPICS), partitions=12)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(plain_dsn(infra.database_url))
    await conn.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
    for statement in PLATFORM_DDL:
        await conn.execute(statement)
    rows = sample_rows(events)
    engine = create_engine(infra.database_url, schema=schema)
    producer = create_producer(PlatformSettings(kafka_bootstrap=infra.kafka_bootstrap))
    await producer.start()
    publisher = KafkaPublisher(producer)
    relay = OutboxRelay(engine=engine, publisher=publisher, schema=schema, service="bench", batch_size=batch_size)

    async def drain_once() -> int:
        await conn.execute("TRUNCATE outbox")
        await conn.copy_records_to_table(
            "outbox", records=rows, columns=["event_id", "topic", "key", "event_type", "payload"], schema_name=schema
        )
        await conn.execute("ANALYZE outbox")  # as autovacuum would after a bulk load
        loop = asyncio.get_running_loop()
        started = loop.time()
        drained = await relay.drain()
        drain_once.elapsed.append(loop.time() - started)
        return drained

    drain_once.elapsed = []
    records = [OutgoingRecord(topic=row[1], key=row[2], value=row[4]) for row in rows]

    async def bare_publish() -> int:
        for start in range(0, len(records), batch_size):
            await publisher.publish(records[start:start + batch_size])
        return len(records)

    baseline = []
    for _ in range(runs):  # alternating, so a burst of load on the shared machine hits both
        baseline += await repeat(1, bare_publish)
        assert await drain_once() == events
    relay_rates = [events / elapsed for elapsed in drain_once.elapsed]
    print(describe("baseline: batch produce, no database", baseline))
    print(describe("relay: drain outbox backlog", relay_rates))
    print(f"ratio relay / baseline: {statistics.median(relay_rates) / statistics.median(baseline):.2f}"
          f"   bar: ≥ 50,000 events/s → {'met' if statistics.median(relay_rates) >= 50_000 else 'NOT met'}")
    value, base = statistics.median(relay_rates), statistics.median(baseline)
    print(f"RESULT outbox_relay value={value:.0f}/s baseline={base:.0f}/s ratio={value / base:.3f}")
    await producer.stop()
    await engine.dispose()
    await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=500, help="outbox rows per relay batch")
    add_loop_option(parser)
    options = parser.parse_args()
    main(options.events, options.runs, options.batch_size, resolve_loop(options.loop))
