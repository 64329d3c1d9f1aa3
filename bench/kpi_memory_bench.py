"""Memory of the kpi-svc engine during a replay of a long history (quality.md: kpi-svc ≤ 100 MB +
1 KB per open order).

    .venv/bin/python bench/kpi_memory_bench.py [--orders 300000] [--orders-per-day 10000]

Two processes, like Kafka and kpi-svc: a child generates the synthetic orders of
kpi_engine_bench.py (~17 events each) chunk by chunk and writes every event, in event-time order
across all topics, as one JSON line to a pipe (it holds the events not yet due); this process
reads them, `orjson.loads` each and applies it to one engine with the default rules (eviction
on, settled orders handed to the checkpoint), and every `--checkpoint-every` events calls
`advance(watermark)` + `dirty_snapshot(orjson.dumps)` with the watermark = the event time read
last (a replay reading every topic in step). At every checkpoint it notes its resident set
(/proc/self/statm) above the baseline taken before the engine existed, and the open orders:
while the checkpoint delta is alive and written (kpi-svc holds it while PostgreSQL writes it:
its order rows are taken ORDER_ROWS_PER_STATEMENT at a time, as CheckpointStore.save sends
them, and sampled with each chunk alive; since 2026-12-07 kpi-svc encodes them then,
`dirty_snapshot(deferred=True)`; the settled orders, written after them the same way, since the
afternoon of 2026-12-07; --encode-at-once: the whole delta encoded first, as before),
and after it is freed and the free heap pages are given back as kpi-svc's stream does after
each checkpoint (orderpulse.memory.release_free_heap; --keep-free-heap: not, as before
2026-12-07). The RESULT is the higher of the two. --catch-up: advance and snapshot with flush=False, as
kpi-svc's stream does while a partition's watermark is more than a minute behind the wall clock
(a real replay: changed orders are reconciled by a read, or by the cap on expanded orders). "Open orders" are the engine's `open_orders`, what the
`orderpulse_kpi_open_orders` gauge exports: the orders held in memory, expanded or compressed.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
import subprocess
import sys
import time
from datetime import timedelta
from itertools import count, islice
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "kpi-svc" / "src"))

from kpi_engine_bench import START, synthetic_topics  # noqa: E402
from kpi_svc.adapters.checkpoint_store import ORDER_ROWS_PER_STATEMENT  # noqa: E402
from kpi_svc.domain import KpiEngine, KpiRules  # noqa: E402
from orderpulse.memory import release_free_heap  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def emit(orders: int, per_day: int, chunk: int) -> None:
    """The generator: every event once, in event-time order, one JSON line each, on stdout."""
    out = sys.stdout.buffer
    pending: list[tuple[int, int, bytes]] = []
    seq = count()
    chunk_days = chunk / per_day
    for number, first in enumerate(range(0, orders, chunk)):
        start = START + timedelta(days=number * chunk_days)
        for pairs in synthetic_topics(min(chunk, orders - first), per_day, seed=number, start=start, first=first).values():
            for at, event in pairs:
                heapq.heappush(pending, (int(at.timestamp() * 1000), next(seq), orjson.dumps(event)))
        due = int((start + timedelta(days=chunk_days)).timestamp() * 1000)  # later chunks are placed after this
        while pending and pending[0][0] < due:
            out.write(heapq.heappop(pending)[2] + b"\n")
    while pending:
        out.write(heapq.heappop(pending)[2] + b"\n")
    out.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--orders-per-day", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=2_000, help="orders the generator makes at a time")
    parser.add_argument("--checkpoint-every", type=int, default=20_000)
    parser.add_argument("--hot-orders-cap", type=int, default=KpiRules().hot_orders_cap,
                        help="KpiRules.hot_orders_cap (0: no cap, as before 2026-12-07)")
    parser.add_argument("--evictions-per-advance", type=int, default=KpiRules().evictions_per_advance,
                        help="KpiRules.evictions_per_advance (0: no limit, as before 2026-12-07)")
    parser.add_argument("--keep-free-heap", action="store_true",
                        help="do not give free heap pages back after a checkpoint (as before 2026-12-07)")
    parser.add_argument("--encode-at-once", action="store_true",
                        help="encode the whole checkpoint delta before writing it (as before 2026-12-07)")
    parser.add_argument("--catch-up", action="store_true",
                        help="advance / dirty_snapshot with flush=False, as the stream while catching up")
    parser.add_argument("--emit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emit:
        emit(args.orders, args.orders_per_day, args.chunk)
        return

    child = subprocess.Popen(
        [sys.executable, __file__, "--emit", "--orders", str(args.orders), "--orders-per-day", str(args.orders_per_day),
         "--chunk", str(args.chunk)], stdout=subprocess.PIPE, bufsize=1 << 20,
    )
    gc.collect()
    baseline = rss_bytes()
    engine = KpiEngine(KpiRules(hot_orders_cap=args.hot_orders_cap or None,
                                evictions_per_advance=args.evictions_per_advance or None))
    worst = (0.0, 0, 0)  # (share of the bar, bytes above baseline, open orders)
    peak = (0, 0)
    peak_alive = 0
    applied = 0
    watermark = 0
    started = time.perf_counter()

    most_open = 0
    print("day  open orders (hot / compressed)  resident MB above baseline  bar MB (at the most open orders so far)")

    def checkpoint(report: bool = True) -> None:
        nonlocal worst, peak, most_open, peak_alive
        engine.advance(watermark, flush=not args.catch_up)
        delta = engine.dirty_snapshot(orjson.dumps, flush=not args.catch_up, deferred=not args.encode_at_once)
        alive = rss_bytes() - baseline
        rows = iter(delta.orders.items())  # written as CheckpointStore.save sends them, a chunk at a time
        while chunk := list(islice(rows, ORDER_ROWS_PER_STATEMENT)):
            alive = max(alive, rss_bytes() - baseline)
            del chunk
        settled = delta.settled or {}  # then the settled orders, a chunk at a time too (encoded as read)
        keys = iter(settled)
        while chunk := [settled[key] for key in islice(keys, ORDER_ROWS_PER_STATEMENT)]:
            alive = max(alive, rss_bytes() - baseline)
            del chunk
        del delta, rows, settled, keys
        engine.drain_observations()
        if not args.keep_free_heap:
            release_free_heap()
        after, open_orders = rss_bytes() - baseline, engine.open_orders
        peak_alive = max(peak_alive, alive)
        used = max(alive, after)
        most_open = max(most_open, open_orders)  # the resident set never shrinks: judge it by the most open orders
        worst = max(worst, (used / (100e6 + 1000 * most_open), used, most_open))
        peak = max(peak, (used, most_open))
        if report and (applied // args.checkpoint_every) % 25 == 0:
            day = (watermark - int(START.timestamp() * 1000)) / 86_400_000
            print(f"{day:5.1f}  {open_orders:7d} ({len(engine.orders)} / {len(engine.cold)})  {used / 1e6:8.1f} "
                  f"(delta alive {alive / 1e6:.1f}, after {after / 1e6:.1f})  "
                  f"{(100e6 + 1000 * most_open) / 1e6:8.1f}", flush=True)

    for line in child.stdout:
        event = orjson.loads(line)
        engine.apply(event)
        applied += 1
        if applied % args.checkpoint_every == 0:
            watermark = max(watermark, engine.newest_event_ms or 0)
            checkpoint()
    child.wait()
    watermark = engine.newest_event_ms
    checkpoint()
    evicted = -1
    while evicted != engine.stats["orders_evicted"]:  # as the stream checkpoints on (every second once caught
        evicted = engine.stats["orders_evicted"]      # up) while orders are left to evict (evictions_per_advance)
        checkpoint(report=False)
    elapsed = time.perf_counter() - started
    share, used, open_orders = worst
    print(f"{args.orders} orders at {args.orders_per_day}/day, {applied} events in {elapsed:.0f} s "
          f"({applied / elapsed:,.0f} events/s incl. generation), checkpoint every {args.checkpoint_every} events")
    print(f"peak resident set above baseline: {peak[0] / 1e6:.1f} MB (with the checkpoint delta alive: "
          f"{peak_alive / 1e6:.1f} MB); most open orders at once: {peak[1]} "
          f"(bar {(100e6 + 1000 * peak[1]) / 1e6:.1f} MB)")
    print(f"worst: {used / 1e6:.1f} MB with at most {open_orders} open orders = {share:.0%} of "
          f"100 MB + 1 KB per open order")
    bar_mb = (100e6 + 1000 * peak[1]) / 1e6
    print(f"RESULT kpi_memory peak_mb={peak[0] / 1e6:.0f} bar_mb={bar_mb:.0f} ratio={peak[0] / 1e6 / bar_mb:.3f}")
    print(f"at the end: {len(engine.orders)} hot + {len(engine.cold)} compressed open orders, "
          f"{len(engine.tombstones)} tombstones, {(rss_bytes() - baseline) / 1e6:.1f} MB above baseline")


if __name__ == "__main__":
    main()
