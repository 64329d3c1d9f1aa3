"""Outbox publish lag at a steady rate: commit of the event's transaction → record readable on Kafka
(quality.md: p99 < 50 ms at 1,000 events/s).

Method: embedded PostgreSQL + Tansu (or the external servers the tests use). The relay runs in a
process of its own (started for each run, measured once it holds the outbox lock) as in a service (`OutboxRelay.run()`: elected by advisory lock, woken by the
NOTIFY each committing transaction sends, polling every second otherwise, marks on a second
connection). Writers commit one event per transaction with `add_to_outbox`'s statement (the row and
its `pg_notify` in one statement, its own transaction: one round trip) on --writers asyncpg
connections, paced open-loop to --rate events/s in total; each event's clock starts when its commit
returns (an event the reader saw before its writer's commit returned counts 0 ms). A reader in a
process of its own (no group, fetch wait 5 ms; its arrival times are taken there, on the same
monotonic clock, so the writers' event loop cannot delay them) stops the clock when the record
arrives; its own fetch latency is part of the figure. The baseline, in the same run, is the
floor of the path without the outbox: the writers publish each event straight to Kafka
(through the same `KafkaPublisher` and producer settings as the relay's, one record per call:
the acknowledgement awaited) instead, clock started before the send. Runs alternate baseline / relay, --runs
each, --seconds long after 1 s of warm-up (`--before-bookkeeping` adds, in the same rotation, the
relay as it was before 2026-12-06 night: acknowledged offsets saved and backlog counted after
every drain instead of at most once a second); printed per run: events, p50, p99, max, commit → broker
acknowledgement (the publish lag without the reader's fetch: for the floor, until its publish returned),
the relay process's and PostgreSQL's (embedded) CPU per event, and for the relay where each event's time went (`_relay_steps`,
timed in the relay's process: commit → the select that read it starts, the select, → records enqueued,
→ Kafka's acknowledgement, acknowledgement → read by the reader, acknowledgement → marked); then the
median of the runs' p99 and the spread. `RESULT relay_lag p99_ms=<median p99> rate=<achieved events/s>`, and
`RESULT relay_publish_lag p99_ms=<median p99 of commit → broker ack> rate=<achieved events/s>`.

    .venv/bin/python bench/relay_lag_bench.py [--rate 1000] [--seconds 10] [--runs 5] [--writers 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import statistics
import time
import uuid

import asyncpg
from _harness import add_loop_option, infrastructure, machine, resolve_loop, run_on_loop
from _http_load import cpu_seconds, postgres_pid, tree_cpu_seconds
from _relay_steps import instrument
from aiokafka import AIOKafkaConsumer, TopicPartition
from orderpulse.db.engine import create_engine
from orderpulse.db.platform_tables import PLATFORM_DDL
from orderpulse.events.envelope import new_envelope
from orderpulse.messaging import relay as relay_module
from orderpulse.messaging.kafka import KafkaPublisher, OutgoingRecord, create_producer, ensure_topics
from orderpulse.messaging.outbox import notify_channel, outbox_row
from orderpulse.messaging.relay import OutboxRelay
from orderpulse.settings import PlatformSettings
from orderpulse.testing.database import plain_dsn

PARTITIONS = 12


def event(i: int, run: str):
    order_id = f"ord_{run}_{i:07d}"
    return new_envelope(type="order.cancelled.v1", source="/bench", key=order_id,
                        data={"order_id": order_id, "reason": "customer changed their mind", "cancelled_by": "storefront"})


class Clocks:
    """Start and stop times per event id; the reader stops the clocks the writers started.

    Every start and arrival is kept as well (`committed`, `arrived`), for the step breakdown."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.read_first: dict[str, float] = {}
        self.lags_ms: list[float] = []
        self.committed: dict[str, float] = {}
        self.arrived: dict[str, float] = {}
        self.acknowledged: dict[str, float] = {}  # the floor's: when its publish returned

    def start(self, event_id: str, now: float) -> None:
        self.committed[event_id] = now
        read = self.read_first.pop(event_id, None)
        if read is None:
            self.started[event_id] = now
        else:  # the relay published it before its writer's commit had even returned: no lag to see
            self.lags_ms.append(max(0.0, (read - now) * 1000))

    def stop(self, event_id: str, now: float) -> None:
        self.arrived[event_id] = now
        started = self.started.pop(event_id, None)
        if started is not None:
            self.lags_ms.append((now - started) * 1000)
        else:
            self.read_first[event_id] = now

    def clear(self) -> None:
        self.started.clear()
        self.read_first.clear()
        self.lags_ms.clear()
        self.committed.clear()
        self.arrived.clear()
        self.acknowledged.clear()


def read_in_process(bootstrap: str, topic: str, ready, stopping, seen, loop: str) -> None:
    """The bench's reader, a process of its own: the writers' event loop (1,000 transactions a second)
    must not delay it, or the figure holds the bench's own queueing (see docs/benchmarks.md)."""

    async def read() -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                    fetch_max_wait_ms=5, auto_offset_reset="latest")
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or range(PARTITIONS)]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:
                await consumer.position(tp)
            ready.set()
            while not stopping.is_set():
                batch = await consumer.getmany(timeout_ms=50)
                now = time.perf_counter()  # CLOCK_MONOTONIC: one clock for every process of the machine
                arrived = [(value.decode(), now) for records in batch.values() for record in records
                           for name, value in record.headers if name == "ce_id"]
                if arrived:
                    seen.put(arrived)
        finally:
            await consumer.stop()

    run_on_loop(read(), loop)


async def collect(clocks: Clocks, seen, reader) -> None:
    """Stops the clocks with the reader's arrival times (taken in the reader, so this loop's delay is not counted)."""
    while True:
        try:
            arrived = seen.get_nowait()
        except queue.Empty:
            if not reader.is_alive():
                return
            await asyncio.sleep(0.01)
            continue
        for event_id, now in arrived:
            clocks.stop(event_id, now)


async def paced(rate: float, seconds: float, writers: int, write) -> int:
    """Open-loop: event i is due at start + i / rate; each writer takes every writers-th event."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def writer(first: int) -> None:
        for i in range(first, total, writers):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await write(i)

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return total


# add_to_outbox's statement for one row (the row, then the NOTIFY sent at commit), run as a transaction of
# its own: one round trip per event, so the writers' own work takes as little of the two cores as it can
_STAGE = ("WITH staged AS (INSERT INTO outbox (event_id, topic, key, event_type, payload, traceparent) "
          "VALUES ($1, $2, $3, $4, $5, $6) RETURNING 1) SELECT pg_notify($7, '')")


STEPS = ("commit → select", "select", "select → enqueued", "enqueued → ack", "ack → read", "ack → marked")


def breakdown(clocks: Clocks, ways: dict[str, tuple]) -> tuple[list[float], dict[str, list[float]]]:
    """Commit → broker ack per event (ms), and each step of its way through the relay (empty for the floor)."""
    if not ways:  # the floor: its publish returned on the acknowledgement
        return [max(0.0, (acked - clocks.committed[event_id]) * 1000) for event_id, acked in clocks.acknowledged.items()
                if event_id in clocks.committed], {}
    acks: list[float] = []
    steps: dict[str, list[float]] = {name: [] for name in STEPS}
    for event_id, committed in clocks.committed.items():
        way = ways.get(event_id)
        if way is None or not way[3]:
            continue
        began, ended, enqueued, acked, marked = way
        acks.append(max(0.0, (acked - committed) * 1000))
        for name, since, until in zip(STEPS, (committed, began, ended, enqueued, acked, acked),
                                      (began, ended, enqueued, acked, clocks.arrived.get(event_id), marked),
                                      strict=True):
            if until is not None:
                steps[name].append((until - since) * 1000)
    return acks, steps


async def collect_ways(ways: dict[str, tuple], sink, relay) -> None:
    """The relay's step times per event (see _relay_steps), as its process sends them."""
    while True:
        try:
            batch = sink.get_nowait()
        except queue.Empty:
            if relay is None or not relay.is_alive():
                return
            await asyncio.sleep(0.01)
            continue
        for event_id, *way in batch:
            ways[event_id] = way


async def one_run(mode: str, args, infra, pool, publisher, schema: str,
                  relay) -> tuple[list[float], float, float, list[float], dict[str, list[float]], float]:
    relay_pid = relay.pid if relay is not None else None
    clocks = Clocks()
    run = uuid.uuid4().hex[:6]
    topic = f"orderpulse.bench.lag-{run}"  # a fresh topic per run: Tansu's in-memory logs slow down as they grow
    await ensure_topics(infra.kafka_bootstrap, [topic], partitions=PARTITIONS)
    spawn = multiprocessing.get_context("spawn")
    ready, stopping, seen = spawn.Event(), spawn.Event(), spawn.Queue()
    reader = spawn.Process(target=read_in_process, args=(infra.kafka_bootstrap, topic, ready, stopping, seen, args.loop),
                           daemon=True)
    reader.start()
    if not await asyncio.to_thread(ready.wait, 60):
        raise TimeoutError("the reader did not start within 60 s")
    collecting = asyncio.create_task(collect(clocks, seen, reader))
    ways: dict[str, tuple] = {}
    collecting_ways = asyncio.create_task(collect_ways(ways, relay.steps, relay) if relay is not None
                                          else asyncio.sleep(0))
    channel = notify_channel(schema)

    async def through_outbox(i: int) -> None:
        envelope = event(i, run)
        row = outbox_row(envelope)
        async with pool.acquire() as conn:  # no explicit transaction: the statement commits when it returns
            await conn.execute(_STAGE, row["event_id"], topic, row["key"], row["event_type"], row["payload"],
                               row["traceparent"], channel)
        clocks.start(envelope.id, time.perf_counter())

    async def straight_to_kafka(i: int) -> None:
        envelope = event(i, run)
        clocks.start(envelope.id, time.perf_counter())
        await publisher.publish([OutgoingRecord(topic=topic, key=envelope.partitionkey, value=envelope.to_json(),
                                                headers=(("ce_id", envelope.id.encode()),))])
        clocks.acknowledged[envelope.id] = time.perf_counter()

    write = straight_to_kafka if mode == "baseline" else through_outbox
    await paced(args.rate, 1.0, args.writers, write)  # warm-up
    await asyncio.sleep(0.5)
    clocks.clear()  # a warm-up event still in flight is not measured
    began, relay_cpu = time.perf_counter(), cpu_seconds(relay_pid) if relay_pid else 0.0
    database_cpu = tree_cpu_seconds(args.database_pid) if args.database_pid else 0.0
    sent = await paced(args.rate, args.seconds, args.writers, write)
    achieved = sent / (time.perf_counter() - began)
    deadline = time.perf_counter() + 10
    while clocks.started and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    relay_cpu = (cpu_seconds(relay_pid) if relay_pid else 0.0) - relay_cpu
    database_cpu = (tree_cpu_seconds(args.database_pid) if args.database_pid else 0.0) - database_cpu
    unread = list(clocks.started)
    stopping.set()
    await asyncio.to_thread(reader.join, 30)
    await collecting
    await asyncio.sleep(0.3)  # the last batches' marks, sent by the relay every 0.1 s
    collecting_ways.cancel()
    acks, steps = breakdown(clocks, ways)
    if args.dump:
        with open(os.path.join(args.dump, f"{mode}-{run}.json"), "w") as dump:
            json.dump({event_id: [committed, *(ways.get(event_id) or [clocks.acknowledged.get(event_id)]),
                                  clocks.arrived.get(event_id)]
                       for event_id, committed in clocks.committed.items()}, dump)
    if unread:
        async with pool.acquire() as conn:
            waiting = await conn.fetchval("SELECT count(*) FROM outbox WHERE event_id = ANY($1::text[]) "
                                          "AND published_at IS NULL", unread)
        print(f"  {mode}: {len(unread)} events not read within 10 s (left out); {waiting} of them not yet "
              f"marked published by the relay")
    return clocks.lags_ms, achieved, relay_cpu / sent, acks, steps, database_cpu / sent


async def until_elected(conn) -> None:
    """Until a relay holds the outbox's advisory lock (it listens right after taking it)."""
    for _ in range(300):
        if await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"):
            await asyncio.sleep(0.5)
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("no relay took the outbox's lock within 30 s")


def run_relay(
    database_url: str, schema: str, bootstrap: str, bookkeeping_interval_s: float | None, steps, loop: str
) -> None:
    """The relay's own process, as in a service."""
    if bookkeeping_interval_s is not None:
        relay_module.BOOKKEEPING_INTERVAL_S = bookkeeping_interval_s

    async def relay_until_killed() -> None:
        engine = create_engine(database_url, schema=schema)
        producer = create_producer(PlatformSettings(kafka_bootstrap=bootstrap))
        await producer.start()
        relay = OutboxRelay(engine=engine, publisher=KafkaPublisher(producer), schema=schema, service="bench")
        sending = instrument(relay, steps)  # noqa: F841 (the loop keeps only a weak reference to a task)
        await relay.run()

    run_on_loop(relay_until_killed(), loop)


async def outbox_published_since_vacuum(conn, rows: int) -> None:
    """`rows` rows inserted, then marked published, autovacuum off for the table: the unpublished-rows
    index keeps their entries, as a service's does for the rows published since its last vacuum
    (a table that keeps seven days of published rows is vacuumed rarely)."""
    await conn.execute("ALTER TABLE outbox SET (autovacuum_enabled = false)")
    for first in range(0, rows, 100_000):
        await conn.execute(
            "INSERT INTO outbox (event_id, topic, key, event_type, payload) "
            "SELECT 'old-' || n, 'orderpulse.bench.old', 'k' || n, 'order.cancelled.v1', '\\x00'::bytea "
            "FROM generate_series($1::int, $2::int) AS n", first, min(rows, first + 100_000) - 1)
        await conn.execute("UPDATE outbox SET published_at = clock_timestamp() WHERE published_at IS NULL")
    print(f"outbox: {rows:,} rows published before the runs, their index entries left for vacuum")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(infra, args) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(plain_dsn(infra.database_url))
    await conn.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
    for statement in PLATFORM_DDL:
        await conn.execute(statement)
    if args.published:
        await outbox_published_since_vacuum(conn, args.published)
    pool = await asyncpg.create_pool(plain_dsn(infra.database_url), min_size=args.writers, max_size=args.writers,
                                     server_settings={"search_path": schema})
    producer = create_producer(PlatformSettings(kafka_bootstrap=infra.kafka_bootstrap))
    await producer.start()
    publisher = KafkaPublisher(producer)
    variants = {"relay": None}
    if args.before_bookkeeping:
        variants["relay-before"] = 0.0  # offsets saved and backlog counted after every drain, as before
    results: dict[str, list[tuple[float, ...]]] = {"baseline": [], **{name: [] for name in variants}}
    try:
        for n in range(args.runs):
            for mode in results:
                relay = None
                if mode != "baseline":
                    spawn = multiprocessing.get_context("spawn")
                    steps = spawn.Queue()
                    relay = spawn.Process(
                        target=run_relay,
                        args=(infra.database_url, schema, infra.kafka_bootstrap, variants[mode], steps, args.loop), daemon=True)
                    relay.steps = steps
                    relay.start()
                    await until_elected(conn)
                try:
                    lags, achieved, cpu_per_event, acks, steps, database_cpu = await one_run(mode, args, infra, pool, publisher,
                                                                               schema, relay)
                finally:
                    if relay is not None:
                        relay.kill()
                        relay.join(10)
                row = (percentile(lags, 0.5), percentile(lags, 0.99), max(lags), achieved, cpu_per_event * 1e6,
                       percentile(acks, 0.5), percentile(acks, 0.99), database_cpu * 1e6)
                results[mode].append(row)
                print(f"run {n + 1} {mode:<12} events {len(lags):>6}  rate {achieved:>7.0f}/s  p50 {row[0]:6.1f} ms  "
                      f"p99 {row[1]:7.1f} ms  max {row[2]:7.1f} ms  commit → ack p50 {row[5]:5.1f} p99 {row[6]:6.1f} ms  "
                      + (f"relay CPU {row[4]:4.0f} µs/event, PostgreSQL's {row[7]:4.0f}  " if relay is not None else "")
                      + f"load {os.getloadavg()[0]:.1f}", flush=True)
                if steps:
                    print("      steps p50 / p99 ms: " + " · ".join(
                        f"{name} {percentile(values, 0.5):.1f} / {percentile(values, 0.99):.1f}"
                        for name, values in steps.items() if values), flush=True)
    finally:
        await producer.stop()
        await pool.close()
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
    for mode, rows in results.items():
        p99s = [row[1] for row in rows]
        print(f"{mode:<12} p99 median {statistics.median(p99s):7.1f} ms (min {min(p99s):.1f}, max {max(p99s):.1f}); "
              f"p50 median {statistics.median(row[0] for row in rows):.1f} ms; "
              f"commit → broker ack p99 median {statistics.median(row[6] for row in rows):.1f} ms"
              + (f"; relay CPU median {statistics.median(row[4] for row in rows):.0f} µs/event" if mode != "baseline" else ""))
    p99 = statistics.median(row[1] for row in results["relay"])
    rate = statistics.median(row[3] for row in results["relay"])
    base = statistics.median(row[1] for row in results["baseline"])
    published = statistics.median(row[6] for row in results["relay"])
    base_published = statistics.median(row[6] for row in results["baseline"])
    print(f"bar: p99 < 50 ms at 1,000 events/s → {'met' if p99 < 50 and rate >= 0.98 * 1000 else 'NOT met'} "
          f"(baseline, straight to Kafka: p99 {base:.1f} ms)")
    print(f"     commit → broker ack (the reader's fetch left out): p99 {published:.1f} ms → "
          f"{'met' if published < 50 and rate >= 0.98 * 1000 else 'NOT met'} (baseline: p99 {base_published:.1f} ms)")
    print(f"RESULT relay_lag p99_ms={p99:.1f} rate={rate:.0f}/s")
    print(f"RESULT relay_publish_lag p99_ms={published:.1f} rate={rate:.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second in total")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writers", type=int, default=16, help="writer connections (each has one event in flight)")
    parser.add_argument("--before-bookkeeping", action="store_true",
                        help="also run the relay as before 2026-12-06 night: offsets saved and backlog counted per drain")
    parser.add_argument("--published", type=int, default=0, metavar="ROWS",
                        help="rows published before the runs, autovacuum off for the outbox (dead index entries)")
    parser.add_argument("--dump", metavar="DIR",
                        help="write each run's times per event there (JSON: commit, [relay's steps | floor's ack], read)")
    add_loop_option(parser)
    args = parser.parse_args()
    args.loop = resolve_loop(args.loop)
    print(f"outbox publish lag · {machine()} · {args.loop} · load average {os.getloadavg()[0]:.1f} at start")
    print(__doc__.split("\n\n")[1])
    with infrastructure() as infra:
        args.database_pid = postgres_pid(infra.database_url) if infra.choice.database == "embedded" else None
        run_on_loop(measure(infra, args), args.loop)


if __name__ == "__main__":
    main()
