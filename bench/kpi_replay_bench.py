"""kpi-svc replaying full topics into checkpointed state, against a bare getmany + orjson loop.

Method: the synthetic orders of bench/kpi_engine_bench.py (~17 events per order on the orders,
fulfillment, notifications and feedback topics; short picks, damage, late deliveries, issues,
surveys) are produced once, keyed by order id, to four fresh 12-partition topics (a private
prefix). Baseline: one aiokafka consumer (new group) reads all four topics with `getmany` and
`orjson.loads` per value. Measured: kpi-svc's own stream loop (KpiStream, built by
kpi_svc.bootstrap.build_stream, no HTTP) with a new consumer group and a freshly migrated schema
reads everything from the beginning (partition-anchor checks off, see kpi_run): orjson.loads +
structural check + KpiEngine.apply per record, and every `checkpoint_interval_s` (1 s) advance + dirty_snapshot of every engine and ONE
PostgreSQL transaction with the deltas and offsets; a final checkpoint at the end is inside the
timing. While a partition catches up (its event time more than a minute behind), kpi-svc
checkpoints every `catch_up_checkpoint_interval_s` (default 15 x the interval: 15 s) instead;
--catch-up-interval sets it (1 = a checkpoint every second throughout). Both clocks start at
the first record returned (group join excluded) and stop after the last record (kpi-svc: after
its final checkpoint). Runs alternate baseline and kpi-svc; median of --runs runs, min and max,
and the load average before and after (the machine is shared). The same runs are also given per
second of this process's CPU time (process_time; the broker and PostgreSQL are child processes,
not counted; kpi-svc's from the start of its stream run, group join and idle polls included),
which a loaded machine disturbs much less: `RESULT kpi_replay_cpu`. --freeze-startup-heap: before
each kpi-svc run, gc.collect() + gc.freeze() as kpi_svc/main.py does at start-up; a heap frozen
small makes the collector's full passes come as often as in a freshly started service.
Bar (quality.md): ≥ 20 % of the baseline, ≥ 150,000 events/s.

    .venv/bin/python bench/kpi_replay_bench.py [--orders 20000] [--runs 5] [--catch-up-interval S] [--freeze-startup-heap]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import add_loop_option, describe, infrastructure, machine, resolve_loop, run_on_loop  # noqa: E402
from kpi_engine_bench import synthetic_topics  # noqa: E402
from kpi_svc.bootstrap import build_stream  # noqa: E402
from kpi_svc.entrypoints.stream import CATCH_UP_INTERVALS  # noqa: E402
from kpi_svc.manifest import MANIFEST  # noqa: E402
from kpi_svc.settings import KpiSettings  # noqa: E402
from orderpulse.db.migrations import upgrade  # noqa: E402
from orderpulse.events.topics import ALL_TOPICS  # noqa: E402
from orderpulse.heap import freeze_startup_heap  # noqa: E402
from orderpulse.messaging.kafka import create_consumer, create_producer, ensure_topics  # noqa: E402
from orderpulse.pool_platform import PoolPlatform  # noqa: E402
from orderpulse.testing.database import plain_dsn  # noqa: E402

PARTITIONS = 12


async def produce(settings: KpiSettings, orders: int) -> int:
    topics = synthetic_topics(orders)
    producer = create_producer(settings, client_id="kpi-bench")
    await producer.start()
    count = 0
    try:
        for short, items in topics.items():
            topic = f"{settings.topic_prefix}orderpulse.{short}"
            futures = []
            for _, event in sorted(items, key=lambda item: item[0]):
                futures.append(await producer.send(topic, key=event["partitionkey"].encode(), value=orjson.dumps(event)))
                if len(futures) >= 5000:
                    await asyncio.gather(*futures)
                    futures = []
            await asyncio.gather(*futures)
            count += len(items)
    finally:
        await producer.stop()
    return count


async def bare_loop(settings: KpiSettings, events: int) -> tuple[float, float]:
    consumer = create_consumer(settings, *settings.topics, group_id=f"bare-{uuid.uuid4().hex[:8]}", max_poll_records=2000)
    await consumer.start()
    seen, started, cpu_started = 0, None, 0.0
    loads = orjson.loads
    try:
        while seen < events:
            batch = await consumer.getmany(timeout_ms=500)
            if batch and started is None:
                started, cpu_started = time.perf_counter(), time.process_time()
            for records in batch.values():
                for record in records:
                    loads(record.value)
                seen += sum(len(records) for records in batch.values())
        elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        await consumer.stop()
    return events / elapsed, events / cpu_s


class FullPasses:
    """The garbage collector's full passes (generation 2) during kpi-svc's runs: count and seconds."""

    def __init__(self) -> None:
        self.count, self.seconds, self._started = 0, 0.0, 0.0

    def note(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._started


FULL_PASSES = FullPasses()


async def kpi_run(base: KpiSettings, database_url: str, events: int, catch_up_interval_s: float | None,
                  freeze: bool = False) -> tuple[float, float, int]:
    suffix = uuid.uuid4().hex[:8]
    # broker_check_interval_s: no partition-anchor checks during the timing. Tansu answers
    # ListOffsets(latest) below the last offset it returned in a fetch (the base offset of the last
    # batch, it seems), so a check after a partition was read to its end takes it for rebuilt and
    # the replay starts over (on a loaded machine, where a run outlasts two checks: the
    # `stream.applied == events` assertion failed with 475,655 records applied of 335,955)
    settings = base.model_copy(update={"service_name": f"kpi-bench-{suffix}", "consumer_group": f"kpi-bench-{suffix}",
                                       "catch_up_checkpoint_interval_s": catch_up_interval_s,
                                       "broker_check_interval_s": 3600.0})
    await asyncio.to_thread(upgrade, MANIFEST.migrations, database_url, settings.db_schema)
    platform = PoolPlatform(settings)
    stream = build_stream(settings, platform)
    if freeze:  # what kpi_svc/main.py does once the app is built: a service process that just started
        freeze_startup_heap()
    try:
        cpu_started = time.process_time()
        gc.callbacks.append(FULL_PASSES.note)
        try:
            await stream.run(until_idle=True)
        finally:
            gc.callbacks.remove(FULL_PASSES.note)
        cpu_s = time.process_time() - cpu_started  # group join, restore and idle polls included: little CPU
        assert stream.applied == events, (stream.applied, events)
        # idle polls that detect the end are left out; the final checkpoint is counted
        elapsed = stream.last_batch_at - stream.first_batch_at + stream.final_checkpoint_s
        open_orders = sum(len(engine.orders) + len(engine.cold) for engine in stream.engines.values())
    finally:
        await platform.stop()
        conn = await asyncpg.connect(plain_dsn(database_url))
        await conn.execute(f'DROP SCHEMA "{settings.db_schema}" CASCADE')
        await conn.close()
    return events / elapsed, events / cpu_s, open_orders


async def measure(infra, orders: int, runs: int, catch_up_interval_s: float | None, freeze: bool = False) -> None:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    settings = KpiSettings(
        database_url=infra.database_url, kafka_bootstrap=infra.kafka_bootstrap,
        kafka_enable_idempotence=infra.kafka_enable_idempotence, topic_prefix=prefix,
        consumer_session_timeout_ms=6_000, consumer_heartbeat_interval_ms=500, checkpoint_interval_s=1.0,
    )
    await ensure_topics(infra.kafka_bootstrap, [prefix + t for t in ALL_TOPICS], partitions=PARTITIONS)
    events = await produce(settings, orders)
    print(f"{orders:,} orders, {events:,} events on 4 topics x {PARTITIONS} partitions")
    baseline, rates, baseline_cpu, rates_cpu = [], [], [], []
    for _ in range(runs):  # alternate, so drift of the shared machine hits both alike
        rate, cpu_rate = await bare_loop(settings, events)
        baseline.append(rate)
        baseline_cpu.append(cpu_rate)
        rate, cpu_rate, open_orders = await kpi_run(settings, infra.database_url, events, catch_up_interval_s, freeze)
        rates.append(rate)
        rates_cpu.append(cpu_rate)
    print(f"catch-up checkpoint interval: {catch_up_interval_s or CATCH_UP_INTERVALS * settings.checkpoint_interval_s} s; "
          f"start-up heap frozen before each kpi-svc run: {'yes' if freeze else 'no'}; "
          f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(describe("baseline: getmany + orjson.loads", baseline))
    print(describe("kpi-svc stream -> checkpointed state", rates))
    print(f"open orders kept at the end of the last run: {open_orders:,}; full GC passes during the kpi-svc runs: "
          f"{FULL_PASSES.count} ({FULL_PASSES.seconds:.2f} s in all)")
    ratio = statistics.median(rates) / statistics.median(baseline)
    met = statistics.median(rates) >= 150_000 and ratio >= 0.2  # quality.md
    print(f"ratio kpi-svc / baseline: {ratio:.1%}   bar: ≥ 20 % and ≥ 150,000 events/s → {'met' if met else 'NOT met'}")
    print(f"RESULT kpi_replay value={statistics.median(rates):.0f}/s baseline={statistics.median(baseline):.0f}/s "
          f"ratio={ratio:.3f}")
    # the same runs per second of this process's CPU time (the broker and PostgreSQL are other
    # processes): much less sensitive to the other loads of a shared machine than wall time
    print(describe("per CPU second: baseline", baseline_cpu))
    print(describe("per CPU second: kpi-svc stream", rates_cpu))
    cpu_ratio = statistics.median(rates_cpu) / statistics.median(baseline_cpu)
    print(f"RESULT kpi_replay_cpu value={statistics.median(rates_cpu):.0f}/s baseline={statistics.median(baseline_cpu):.0f}/s "
          f"ratio={cpu_ratio:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--catch-up-interval", type=float, default=None,
                        help="kpi-svc's catch_up_checkpoint_interval_s (default: its own, 15 x checkpoint_interval_s)")
    parser.add_argument("--freeze-startup-heap", action="store_true",
                        help="before each kpi-svc run, orderpulse.heap.freeze_startup_heap() as kpi_svc/main.py "
                             "does at start-up (the collector's full passes then come as often as in the service)")
    add_loop_option(parser)
    args = parser.parse_args()
    args.loop = resolve_loop(args.loop, MANIFEST.name)
    print(f"kpi-svc replay benchmark · {machine()} · {args.loop} · load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(__doc__.split("\n\n")[1])
    with infrastructure() as infra:
        run_on_loop(measure(infra, args.orders, args.runs, args.catch_up_interval, args.freeze_startup_heap), args.loop)


if __name__ == "__main__":
    main()
