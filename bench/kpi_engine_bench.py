"""Micro-benchmark of the kpi-svc domain engine: events/s of KpiEngine.apply on one core.

    PYTHONPATH=services/kpi-svc/src .venv/bin/python bench/kpi_engine_bench.py [--orders 20000]

Generates N synthetic orders' events in memory (~17 events per order across the orders,
fulfillment, notifications and feedback topics, with short picks, damage, late deliveries,
issues and surveys), lays them out as a replay would deliver them (each topic in its own
event-time order, topics interleaved in batches like `getmany`), then times a fresh engine
applying all of them, including the lazy flushes and a `dirty_snapshot` + `advance` every
`--checkpoint-every` events (what the wiring does about once a second). Reports the median of
`--runs` runs and their spread, and, as a same-run baseline, orjson.loads of the same events.
`--partitions 12` spreads the events over 12 engines by order id, as kpi-svc does with the
replay benchmark's 12 partitions (one engine holding all 20,000 orders is over its
hot_orders_cap); `--catch-up --defer-full-gc` is then the stream's own setting while replaying.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "kpi-svc" / "src"))

from kpi_svc.domain import KpiEngine, KpiRules  # noqa: E402

UTC = UTC
START = datetime(2026, 10, 1, tzinfo=UTC)
P = "orderpulse."


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Ids:
    """Canonical lowercase UUIDs, as the producers write them (kpi-svc holds those packed, 16
    bytes an id; any other form as strings). Unique for any count: the number's high bits go
    into the second group, its low 48 into the last."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"0191e7c4-{(self.n >> 48) & 0xFFFF:04x}-7000-8000-{self.n & 0xFFFF_FFFF_FFFF:012x}"


def synthetic_topics(orders: int, orders_per_day: int = 10_000, seed: int = 7, start: datetime = START,
                     first: int = 0) -> dict[str, list[tuple[datetime, dict]]]:
    """{topic: [(event time, event dict)]} for `orders` orders placed at `orders_per_day`
    (10,000/day: the density of quality.md's 30-day backfill of 300,000 orders) from `start`,
    numbered from `first` (kpi_memory_bench.py generates a long history chunk by chunk)."""
    span_s = orders / orders_per_day * 86400
    rnd = random.Random(seed)
    ids = _Ids()
    ids.n = first * 100
    topics: dict[str, list[tuple[datetime, dict]]] = {"orders": [], "fulfillment": [], "notifications": [], "feedback": []}
    carriers, warehouses = ["dhl", "ups", "dpd", "gls"], ["wh_berlin", "wh_leipzig", "wh_hamburg"]

    def emit(topic: str, etype: str, key: str, at: datetime, data: dict) -> None:
        topics[topic].append((at, {"specversion": "1.0", "id": ids(), "source": "/bench", "type": P + etype,
                                   "subject": key, "time": _iso(at), "partitionkey": key, "data": data}))

    for n in range(first, first + orders):
        oid = f"ord_{n:08d}"
        placed = start + timedelta(seconds=rnd.uniform(0, span_s))
        skus = [{"line_id": f"l{i}", "sku": f"SKU-{rnd.randint(1, 500)}", "quantity": rnd.randint(1, 3),
                 "unit_price": f"{rnd.randint(5, 90)}.{rnd.randint(0, 99):02d}"} for i in range(rnd.randint(1, 3))]
        promised = placed + timedelta(days=5)
        carrier, warehouse = rnd.choice(carriers), rnd.choice(warehouses)
        base = {"order_id": oid}
        emit("orders", "order.placed.v1", oid, placed, {**base, "customer_id": "c1", "customer_tier": rnd.choice(["vip", "standard", "one_time"]),
             "channel": rnd.choice(["web", "mobile", "b2b"]), "lines": skus, "currency": "EUR", "total": "1.00",
             "ship_to": {"country": "DE"}, "service_level": "standard", "promised_by": _iso(promised),
             "requested_at": _iso(placed - timedelta(seconds=90)), "entry_discrepancies": []})
        confirmed = placed + timedelta(minutes=2)
        emit("orders", "order.confirmed.v1", oid, confirmed, {**base, "lines": skus, "service_level": "standard", "promised_by": _iso(promised)})
        emit("orders", "order.invoiced.v1", oid, placed + timedelta(minutes=3), {**base, "invoice_id": "i1", "lines": skus, "total": "1.00"})
        packed = placed + timedelta(hours=rnd.uniform(2, 40))
        shipped = [{"sku": line["sku"], "quantity": line["quantity"] - (1 if rnd.random() < 0.03 else 0)} for line in skus]
        emit("fulfillment", "fulfillment.created.v1", oid, confirmed + timedelta(seconds=5), {**base, "fulfillment_id": "f1", "warehouse_id": warehouse, "lines": skus})
        emit("fulfillment", "fulfillment.packed.v1", oid, packed, {**base, "fulfillment_id": "f1", "shipment_id": "s1", "lines": shipped,
             "documents": [{"kind": "invoice", "ref": "r"}], "document_discrepancies": [{"kind": "invoice", "detail": "x"}] if rnd.random() < 0.01 else []})
        dispatched = packed + timedelta(minutes=rnd.uniform(10, 120))
        emit("fulfillment", "shipment.dispatched.v1", oid, dispatched, {**base, "shipment_id": "s1", "warehouse_id": warehouse, "carrier": carrier,
             "tracking_number": "t", "lines": shipped, "promised_by": _iso(promised), "eta": _iso(promised), "shipping_cost": "4.90"})
        for hop in range(2):
            emit("fulfillment", "shipment.in_transit.v1", oid, dispatched + timedelta(hours=6 + 12 * hop), {**base, "shipment_id": "s1", "carrier": carrier})
        delivered = dispatched + timedelta(hours=rnd.uniform(20, 130))
        emit("fulfillment", "shipment.out_for_delivery.v1", oid, delivered - timedelta(hours=3), {**base, "shipment_id": "s1", "carrier": carrier})
        emit("fulfillment", "shipment.delivered.v1", oid, delivered, {**base, "shipment_id": "s1", "carrier": carrier,
             "condition": "damaged" if rnd.random() < 0.02 else "intact", "lines": shipped})
        emit("fulfillment", "fulfillment.completed.v1", oid, delivered + timedelta(seconds=1), {**base, "shipments": 1, "delivered_at": _iso(delivered),
             "lines_requested": skus, "lines_delivered": shipped, "closed_short": shipped != [{"sku": s["sku"], "quantity": s["quantity"]} for s in skus]})
        for milestone, trigger in (("order_confirmed", confirmed), ("shipped", dispatched), ("out_for_delivery", delivered - timedelta(hours=3)), ("delivered", delivered)):
            sent = trigger + timedelta(seconds=rnd.expovariate(1 / 60))
            emit("notifications", "notification.sent.v1", oid, sent, {**base, "notification_id": ids(), "customer_id": "c1", "milestone": milestone,
                 "channel": "email", "trigger_event_id": "e", "trigger_time": _iso(trigger), "sent_at": _iso(sent), "unit_cost": "0.01"})
        emit("feedback", "survey.requested.v1", oid, delivered + timedelta(hours=1), {**base, "survey_id": f"sv{n}", "customer_id": "c1"})
        if rnd.random() < 0.5:
            emit("feedback", "feedback.received.v1", oid, delivered + timedelta(hours=rnd.uniform(2, 48)), {**base, "survey_id": f"sv{n}", "customer_id": "c1", "csat": rnd.randint(2, 5)})
        if rnd.random() < 0.1:
            opened = delivered + timedelta(hours=rnd.uniform(1, 100))
            emit("feedback", "issue.opened.v1", oid, opened, {**base, "issue_id": f"is{n}", "customer_id": "c1", "category": rnd.choice(["late", "damaged", "billing"]),
                 "ack_due": _iso(opened + timedelta(hours=24)), "resolve_due": _iso(opened + timedelta(hours=48))})
            emit("feedback", "issue.acknowledged.v1", oid, opened + timedelta(hours=rnd.uniform(1, 30)), {**base, "issue_id": f"is{n}", "by": "a"})
            emit("feedback", "issue.resolved.v1", oid, opened + timedelta(hours=rnd.uniform(30, 60)), {**base, "issue_id": f"is{n}", "by": "a"})
    for events in topics.values():
        events.sort(key=lambda pair: pair[0])
    return topics


def replay_order(topics: dict[str, list[tuple[datetime, dict]]], batch: int) -> tuple[list[dict], list[int]]:
    """Topics interleaved batch by batch, as a consumer of all of them would see a replay, and
    after each event the consumer's event-time watermark (the slowest unfinished topic's time)."""
    cursors = {name: 0 for name in topics}
    last_ms = {name: 0 for name in topics}
    out: list[dict] = []
    watermarks: list[int] = []
    while any(cursors[name] < len(events) for name, events in topics.items()):
        for name, events in topics.items():
            start = cursors[name]
            for at, event in events[start:start + batch]:
                out.append(event)
                last_ms[name] = int(at.timestamp() * 1000)
                unfinished = [last_ms[n] for n in topics if cursors[n] + (batch if n == name else 0) < len(topics[n])]
                watermarks.append(min(unfinished) if unfinished else max(last_ms.values()))
            cursors[name] = start + batch
    return out, watermarks


def partition_of(event: dict, partitions: int) -> int:
    """The engine an event goes to: one per partition, keyed by order id like the topics."""
    return zlib.crc32(event["partitionkey"].encode()) % partitions


def run_engine(events: list[dict], watermarks: list[int], checkpoint_every: int, report_every: int,
               now_ms: int, serialize=None, catch_up: bool = False, freeze: bool = False,
               partitions: int = 1) -> float:
    engines = [KpiEngine(KpiRules()) for _ in range(partitions)]
    applies = [engine.apply for engine in engines]
    routed = [(applies[partition_of(event, partitions)], event) for event in events] if partitions > 1 else None
    flush = not catch_up
    started = time.perf_counter()
    for number, offset in enumerate(range(0, len(events), checkpoint_every), start=1):
        if routed is None:
            apply = applies[0]
            for event in events[offset:offset + checkpoint_every]:
                apply(event)
        else:
            for apply, event in routed[offset:offset + checkpoint_every]:
                apply(event)
        end = min(offset + checkpoint_every, len(events)) - 1
        for engine in engines:
            engine.advance(watermarks[end], flush=flush)
            if number % report_every == 0:  # gauges: the four windows (reports flush the engine)
                for window in ("1h", "24h", "7d", "30d"):
                    engine.report(window, watermarks[end])
            engine.dirty_snapshot(serialize, flush=flush)
            engine.drain_observations()
        if freeze:
            gc.freeze()  # engine state has no reference cycles: freed by refcount, never scanned again
    for engine in engines:
        engine.advance(now_ms)
        engine.dirty_snapshot(serialize)
        engine.report("30d", now_ms)
    return time.perf_counter() - started


def measure_memory(events: list[dict], watermarks: list[int], checkpoint_every: int) -> None:
    """One traced run with eviction off (every order stays open): engine memory per open order."""
    import tracemalloc

    engine = KpiEngine(KpiRules(eviction_grace_s=365 * 86400))
    tracemalloc.start()
    for offset in range(0, len(events), checkpoint_every):
        for event in events[offset:offset + checkpoint_every]:
            engine.apply(event)
        engine.advance(watermarks[min(offset + checkpoint_every, len(events)) - 1])
        engine.dirty_snapshot()
        engine.drain_observations()
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    open_orders = len(engine.order_ids())
    print(f"memory (tracemalloc, eviction off): {traced / 1e6:.1f} MB for {open_orders} open orders "
          f"({len(engine.cold)} kept compressed) = {traced / open_orders:,.0f} B per open order, buckets included")


def run_loads(raw: list[bytes]) -> float:
    import orjson

    loads = orjson.loads
    started = time.perf_counter()
    for item in raw:
        loads(item)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--orders-per-day", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--report-every", type=int, default=1,
                        help="checkpoints between gauge refreshes (4 reports); 1 = every checkpoint")
    parser.add_argument("--catch-up", action="store_true",
                        help="advance/dirty_snapshot with flush=False (orders reconciled at gauge refreshes only)")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after every checkpoint")
    parser.add_argument("--partitions", type=int, default=1,
                        help="engines, the events spread over them by order id (kpi-svc: one per partition; the "
                             "replay bench's topics have 12). With 1, 20,000 orders exceed one engine's "
                             "hot_orders_cap (2,000) and most of the time goes to compressing and expanding them")
    parser.add_argument("--defer-full-gc", action="store_true",
                        help="gc.set_threshold(700, 10, 1000) during the runs: what kpi-svc's stream does while "
                             "catching up (kpi_svc/entrypoints/full_collections.py)")
    parser.add_argument("--memory", action="store_true", help="also one traced run: bytes per open order")
    parser.add_argument("--batch", type=int, default=500, help="events per topic per getmany-like batch")
    parser.add_argument("--checkpoint-every", type=int, default=50_000,
                        help="events between advance(watermark) + dirty_snapshot (the wiring does it ~1/s)")
    args = parser.parse_args()

    topics = synthetic_topics(args.orders, args.orders_per_day)
    events, watermarks = replay_order(topics, args.batch)
    gc.collect()
    gc.freeze()  # the generated events are the bench's, not the service's: keep them out of GC scans
    # the final clock: two weeks after the last order (every clock due, claim windows closed)
    now_ms = int((START + timedelta(days=args.orders / args.orders_per_day + 14)).timestamp() * 1000)
    print("method: KpiEngine.apply over pre-parsed event dicts (frozen out of GC), fresh engine per run, "
          f"advance(event-time watermark)+dirty_snapshot(orjson.dumps)+drain_observations every {args.checkpoint_every} events, "
          f"gauge refresh (report 1h/24h/7d/30d) every {args.report_every} checkpoint(s), "
          f"flush at checkpoints: {'no (catch-up mode)' if args.catch_up else 'yes'}, "
          f"gc.freeze after checkpoints: {'yes' if args.gc_freeze else 'no'}, "
          f"engines: {args.partitions} (events by order id), full GC passes deferred: {'yes' if args.defer_full_gc else 'no'}, "
          f"then advance(end)+dirty_snapshot+30d report, all inside the timing; time.perf_counter; gc enabled; "
          f"median of {args.runs} runs")
    print(f"data: {args.orders} orders placed at {args.orders_per_day}/day, {len(events)} events "
          f"({len(events) / args.orders:.1f}/order), topics interleaved in batches of {args.batch}")
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.processor() or 'cpu n/a'}")

    try:
        import orjson

        serialize = orjson.dumps  # what the wiring passes to dirty_snapshot
    except ImportError:
        serialize = None
    if args.defer_full_gc:
        gc.set_threshold(700, 10, 1000)
    rates = []
    for run in range(args.runs):
        gc.collect()
        elapsed = run_engine(events, watermarks, args.checkpoint_every, args.report_every, now_ms, serialize,
                             args.catch_up, args.gc_freeze, args.partitions)
        rates.append(len(events) / elapsed)
        print(f"  run {run + 1}: {rates[-1]:,.0f} events/s")
    median = statistics.median(rates)
    print(f"engine.apply: median {median:,.0f} events/s, spread {min(rates):,.0f}..{max(rates):,.0f} "
          f"({(max(rates) - min(rates)) / median:.1%} of median)")

    if args.memory:
        measure_memory(events, watermarks, args.checkpoint_every)
    try:
        import orjson
    except ImportError:
        return
    raw = [orjson.dumps(event) for event in events]
    load_rates = []
    for _ in range(args.runs):
        gc.collect()
        load_rates.append(len(raw) / run_loads(raw))
    load_median = statistics.median(load_rates)
    print(f"baseline orjson.loads of the same events: median {load_median:,.0f} events/s, "
          f"spread {min(load_rates):,.0f}..{max(load_rates):,.0f}")
    combined = 1 / (1 / median + 1 / load_median)
    print(f"loads + apply together (what a replay costs before Kafka and PostgreSQL): {combined:,.0f} events/s")
    print(f"RESULT kpi_engine value={median:.0f}/s baseline={load_median:.0f}/s ratio={median / load_median:.3f}")


if __name__ == "__main__":
    main()
