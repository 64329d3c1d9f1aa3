"""Idempotent consumer throughput (dedup + effects + offsets) against a bare getmany + orjson loop.

Method: N CloudEvents are produced to a fresh 12-partition topic. The baseline reads them all
with one aiokafka consumer (`getmany`, `orjson.loads` per value). The measured run is the
platform's IdempotentConsumer: per batch of up to 500, one transaction claims the event ids
(INSERT ... ON CONFLICT DO NOTHING RETURNING), applies the handlers, commits, then commits the
offsets. Handlers (order.cancelled events, 1,000 keys): `insert` makes one SQLAlchemy INSERT per
event; `batch-insert` one INSERT per batch (a `Batched` handler); `noop` measures the platform's
own cost. `notify` runs notify-svc's REAL handler table against its migrated schema
(`notify-per-event`: the same handlers one event at a time, a statement per read and write), on
customer.upserted (1,000 customers) then order.placed + order.confirmed per order, as a
storefront's orders arrive (each confirmed order becomes a pending email row). `fulfillment`,
`order` and `feedback` run that service's REAL handler table (as its bootstrap wires it) over its
migrated schema, fed what it consumes in a storefront's traffic (`_consumer_workloads.py`: the
simulator's story of an order and its error mix; order-svc's orders and fulfillment-svc's stock
are in the schema beforehand, outside the clock); each run checks the rows the events must leave
and that nothing was dead-lettered. The consumer runs its own loop (`IdempotentConsumer.run`, as a
service runs it: fetching, the batch, its offsets, the lag gauge) until every event is applied,
the clock from its first record to the loop's return. Each figure is
the median of RUNS runs (each run uses a new consumer group and a fresh schema; group join time
is excluded: the clock starts at the first record), with min and max; baseline and consumer
runs alternate, so both see the same load. Bar (quality.md): ≥ 10,000 events/s with the real handler.

    .venv/bin/python bench/consumer_dedup_bench.py [--events 50000] [--runs 5] [--handler notify|fulfillment|order|feedback]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import orjson
from _consumer_workloads import WORKLOADS
from _harness import add_loop_option, describe, infrastructure, machine, resolve_loop, run_on_loop
from orderpulse.db.engine import create_engine, create_session_factory
from orderpulse.db.platform_tables import PLATFORM_DDL
from orderpulse.events.envelope import new_envelope
from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.consumer import Batched, IdempotentConsumer
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import KafkaPublisher, OutgoingRecord, create_consumer, create_producer, ensure_topics
from orderpulse.settings import PlatformSettings
from orderpulse.testing.database import plain_dsn
from sqlalchemy import text

PROFILE = None
INSERT = text("INSERT INTO applied (event_id) VALUES (:e)")
INSERT_MANY = text("INSERT INTO applied (event_id) SELECT unnest(CAST(:e AS text[]))")
CANCELLED = "orderpulse.order.cancelled.v1"


async def record_event(session, envelope) -> None:
    await session.execute(INSERT, {"e": envelope.id})


async def record_events(session, envelopes) -> None:
    await session.execute(INSERT_MANY, {"e": [envelope.id for envelope in envelopes]})


async def ignore_event(session, envelope) -> None:
    return None


HANDLERS = {"insert": record_event, "batch-insert": Batched(record_events), "noop": ignore_event, "notify": None,
            "notify-per-event": None, **{name: None for name in WORKLOADS}}


# The service whose consumer a handler measures: the loop it runs on is the bench's default.
HANDLER_SERVICES = {"notify": "notify-svc", "notify-per-event": "notify-svc", **{name: f"{name}-svc" for name in WORKLOADS}}


def main(events: int, runs: int, handler: str = "insert", loop: str | None = None) -> None:
    loop = resolve_loop(loop, HANDLER_SERVICES.get(handler))
    print(f"consumer benchmark · {machine()} · {loop}")
    print(__doc__.split("\n\n")[1])
    with infrastructure() as infra:
        run_on_loop(measure(infra, events, runs, handler), loop)


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
    notify = handler.startswith("notify")
    workload = WORKLOADS[handler](events) if handler in WORKLOADS else None
    if workload is not None:
        envelopes = workload.events
        events = len(envelopes)
        print(f"load: {events:,} events: " + ", ".join(
            f"{kind.removeprefix('orderpulse.')} {n:,}" for kind, n in Counter(e.type for e in envelopes).most_common()))
    else:
        envelopes = notify_events(events) if notify else cancelled_events(events)
    records = [OutgoingRecord(topic=topic, key=envelope.partitionkey, value=envelope.to_json()) for envelope in envelopes]
    for start in range(0, events, 2000):
        await publisher.publish(records[start:start + 2000])
    # the producer's copies of every event are no part of a consumer: keep the collector off them
    gc.collect()
    gc.freeze()

    conn = await asyncpg.connect(plain_dsn(infra.database_url))
    rates, baseline, cpu_per_event, db_cpu_per_event = [], [], [], []
    for run in range(runs):
        baseline.append(await bare_loop(settings, topic, events))
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        if workload is not None:
            handlers, applied_table = await workload.prepare(infra.database_url, schema), None
        elif notify:
            handlers = await notify_handlers(infra.database_url, schema, per_event=handler == "notify-per-event")
            applied_table = "notifications"
        else:
            await conn.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
            for statement in PLATFORM_DDL:
                await conn.execute(statement)
            await conn.execute("CREATE TABLE applied (event_id TEXT NOT NULL)")
            handlers, applied_table = {CANCELLED: HANDLERS[handler]}, "applied"
        engine = create_engine(infra.database_url, schema=schema)
        kafka_consumer = create_consumer(settings, topic, group_id=f"bench-{schema}")
        runner = IdempotentConsumer(
            consumer=kafka_consumer, session_factory=create_session_factory(engine),
            handlers=handlers, dead_letters=DeadLetterQueue(publisher, service), service=service,
        )
        await kafka_consumer.start()
        wall_s, cpu_s, dead = await consume_all(runner, kafka_consumer, events, PROFILE if run == 0 else None)
        rates.append(events / wall_s)
        cpu_per_event.append(cpu_s / events * 1e6)
        db_cpu = await backends_cpu_s(conn)
        if db_cpu is not None:
            db_cpu_per_event.append(db_cpu / events * 1e6)
        await kafka_consumer.stop()
        await engine.dispose()
        assert dead == 0, f"{dead} events dead-lettered: not what the handlers should do with valid events"
        if workload is not None:
            await conn.execute(f'SET search_path TO "{schema}"')
            for query, expected in workload.expected.items():
                found = await conn.fetchval(query)
                assert found == expected, f"{query}: {found}, expected {expected}"
        else:
            confirmed = sum(e.type.endswith("order.confirmed.v1") for e in envelopes)
            expected_rows = {"noop": 0, "notify": confirmed, "notify-per-event": confirmed}.get(handler, events)
            assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".{applied_table}') == expected_rows
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".processed_events') == events
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await conn.close()
    await producer.stop()
    print(describe("baseline: getmany + orjson.loads", baseline))
    print(describe(f"idempotent consumer, handler={handler}", rates))
    print(f"consumer process CPU per event: median {statistics.median(cpu_per_event):.1f} µs "
          f"(min {min(cpu_per_event):.1f}, max {max(cpu_per_event):.1f}; steadier than the rate on a shared machine; "
          "PostgreSQL's own CPU not included)")
    if db_cpu_per_event:
        print(f"PostgreSQL backends' CPU per event (the consumer's connections, over their life): median "
              f"{statistics.median(db_cpu_per_event):.1f} µs (min {min(db_cpu_per_event):.1f}, max {max(db_cpu_per_event):.1f})")
    print(f"ratio consumer / baseline: {statistics.median(rates) / statistics.median(baseline):.2f}"
          f"   bar: ≥ 10,000 events/s → {'met' if statistics.median(rates) >= 10_000 else 'NOT met'}")
    value, base = statistics.median(rates), statistics.median(baseline)
    print(f"RESULT consumer_dedup_{handler.replace('-', '_')} value={value:.0f}/s baseline={base:.0f}/s ratio={value / base:.3f}")


async def consume_all(runner: IdempotentConsumer, kafka_consumer, events: int, profile) -> tuple[float, float, int]:
    """Run the consumer's own loop (`IdempotentConsumer.run`, as a service runs it) until every
    event is applied or dead-lettered; wall and CPU seconds from the first record until the loop
    returned (its last offsets committed), and how many were dead-lettered."""
    clock: list[float] = []
    counts = Counter()
    fetch, process = kafka_consumer.getmany, runner.process

    async def getmany(*args, **kwargs):
        batch = await fetch(*args, **kwargs)
        if batch and not clock:
            clock.extend((time.perf_counter(), time.process_time()))
            if profile is not None:
                profile.enable()
        return batch

    async def counted(*args, **kwargs):
        result = await process(*args, **kwargs)
        counts["done"] += result.applied + len(result.dead_lettered)
        counts["dead"] += len(result.dead_lettered)
        if counts["done"] >= events:
            runner.stop()
        return result

    kafka_consumer.getmany, runner.process = getmany, counted
    await runner.run()
    wall_s, cpu_s = time.perf_counter() - clock[0], time.process_time() - clock[1]
    if profile is not None:
        profile.disable()
    return wall_s, cpu_s, counts["dead"]


async def backends_cpu_s(conn) -> float | None:
    """CPU seconds used by the other client backends of this PostgreSQL (the consumer's pooled
    connections, opened for the run), from /proc; None where the server is not local."""
    pids = [row[0] for row in await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def cancelled_events(count: int) -> list:
    return [
        new_envelope(
            type="order.cancelled.v1", source="/bench", key=f"ord_{i % 1000:06d}",
            data={"order_id": f"ord_{i % 1000:06d}", "reason": "customer changed their mind", "cancelled_by": "storefront"},
        )
        for i in range(count)
    ]


def notify_events(count: int) -> list:
    """1,000 customers, then order.placed + order.confirmed per order (what notify-svc sees of a storefront's orders)."""
    known = min(1000, count)
    known += (count - known) % 2  # an odd count: one more customer
    customers = [
        new_envelope(type="customer.upserted.v1", source="/bench", key=f"cus_{n}", data={
            "customer_id": f"cus_{n}", "tier": "standard", "name": f"Customer {n}", "email": f"c{n}@example.com",
            "phone": "+491510000000", "locale": "en", "timezone": "UTC",
        })
        for n in range(known)
    ]
    orders = []
    for i in range((count - len(customers)) // 2):
        order_id = f"ord_{i:07d}"
        lines = [{"line_id": "l1", "sku": "BENCH-MUG", "quantity": 1, "unit_price": "12.50"}]
        ship_to = {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"}
        orders.append(new_envelope(type="order.placed.v1", source="/bench", key=order_id, data={
            "order_id": order_id, "customer_id": f"cus_{i % 1000}", "customer_tier": "standard", "channel": "web",
            "lines": lines, "currency": "EUR", "total": "12.50", "ship_to": ship_to, "service_level": "standard",
            "promised_by": "2030-01-01T00:00:00Z", "entry_discrepancies": [],
        }))
        orders.append(new_envelope(type="order.confirmed.v1", source="/bench", key=order_id, data={
            "order_id": order_id, "lines": lines, "ship_to": ship_to, "service_level": "standard",
            "promised_by": "2030-01-01T00:00:00Z",
        }))
    return customers + orders


async def notify_handlers(database_url: str, schema: str, *, per_event: bool = False) -> dict:
    """notify-svc's handler table, as its bootstrap wires it, over a freshly migrated schema.

    `per_event`: the same handlers given one event at a time with the plain unit of work (a
    statement per read and write), as notify-svc ran before its batch handlers.
    """
    from notify_svc.adapters.batching import BatchUnitOfWork
    from notify_svc.adapters.unit_of_work import SqlUnitOfWork
    from notify_svc.entrypoints.consumer import handler_table
    from notify_svc.manifest import MANIFEST
    from notify_svc.service_layer.context import ServiceContext
    from orderpulse.db.migrations import upgrade_async

    await upgrade_async(MANIFEST.migrations, database_url, schema)
    ctx = ServiceContext(unit_of_work=None, channels=None, tracking_url=lambda order_id, now: f"https://t/{order_id}")
    unit = SqlUnitOfWork if per_event else BatchUnitOfWork
    table = handler_table(ctx, lambda session: unit.joining(session, schema=schema))
    return {name: _one_at_a_time(handler) for name, handler in table.items()} if per_event else table


def _one_at_a_time(handler):
    async def apply(session, envelope) -> None:
        await handler(session, envelope)  # a `Batched` called with one event

    return apply


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
                        help="insert: one SQLAlchemy INSERT per event; batch-insert: one per batch; noop: the platform's "
                             "own cost (dedup, commit, offsets); notify: notify-svc's real handler table; "
                             "notify-per-event: the same, one event at a time; fulfillment, order, feedback: that "
                             "service's real handler table on what it consumes from a storefront")
    add_loop_option(parser)
    options = parser.parse_args()
    main(options.events, options.runs, options.handler, options.loop)
