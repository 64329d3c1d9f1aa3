"""kpi-svc freshness at 2,000 events/s live: event time -> kpi-svc's exported gauges include it
(quality.md: p99 < 1 s at 2,000 events/s live).

Method: embedded PostgreSQL + Tansu; kpi-svc runs as its own uvicorn process, as `orderpulse up`
runs it, on topics with a private prefix (12 partitions each). This process publishes order
lifecycles - 16 events per order on the orders, fulfillment and notifications topics (placed,
confirmed, invoiced, fulfillment created, packed, dispatched, 2 x in transit, out for delivery,
delivered, completed, 4 notifications sent, survey requested; the data validated against the
event catalog) - built with `new_envelope`, event time = the wall clock when the envelope is
built, at a steady `--rate` (at 2,000/s an order starts every 8 ms and its 16 stages go out
32 ms apart, so each 8 ms slot carries one stage of each of 16 orders; fresh order ids per
run). Each run lasts `--seconds` (plus ~0.5 s ramps up and down as the first orders start and
the last finish).
Measured: kpi-svc's `/metrics` is polled every `--poll-ms` ms; four cumulative gauges are read,
`orderpulse_kpi_denominator{window="1h"}` of order_entry_accuracy (+1 per order.placed),
shipped_within_sla (+1 per shipment.dispatched), perfect_order (+1 per fulfillment.completed)
and notification_timeliness (+1 per notification.sent): 7 counted events per order. The first
poll whose figure reaches base + N gives the latency of the N-th counted event of that figure
(in send order): the arrival time of that poll's answer minus the event's time. This is the
cumulative-curve reading; it is exact when a figure counts its events in send order, and
otherwise attributes the counts to the oldest events (partitions are applied independently,
so it may be optimistic by about one 8 ms slot). The poll interval adds up to one
interval (uniform) to each sample: the resolution is the achieved gap between polls (printed; a
poll is sent when the previous answer is in, so a slow answer widens it). Polls are not free: the
whole exposition (~63 kB) every 50 ms took a third of kpi-svc's busy time (py-spy), so a poll
asks for the three metrics it reads (`/metrics?name[]=...`, a few kB; `--whole-metrics` asks
for everything, as a kpi-svc without that filter answers anyway); it still computes the KPI
gauges when they are older than `gauge_max_age_s`, as any scrape does. The run must
end with every figure exactly at base + its events (else the benchmark fails: nothing lost,
nothing doubled).
kpi-svc's own `orderpulse_kpi_freshness_seconds` is sampled by the same polls, and its counter
`orderpulse_kpi_events_total` (summed over topics, +1 per record applied, before any checkpoint)
gives every event's time to "applied" the same way: the stream's share, without the gauges'.
Baseline, in the same runs: a bare aiokafka consumer (own group, `getmany`) in this process reads
the same topics; its latency is the time a record is returned minus its event time (the
producer's linger and the broker's own latency).
Printed per run: achieved rate, p50 / p99 of the gauges (all four figures together, and p99 per
figure), of the freshness gauge and of the baseline; then the median of the runs and the spread.

    .venv/bin/python bench/kpi_freshness_bench.py [--rate 2000] [--seconds 10] [--runs 5] [--poll-ms 50]
        [--kpi-env ORDERPULSE_X=value ...]   (settings of the kpi-svc process, e.g. to try another interval)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import psutil
from _harness import infrastructure, machine, prepare_kpi_svc, service_env, wait_ready
from orderpulse.events import FEEDBACK, FULFILLMENT, NOTIFICATIONS, ORDERS, new_envelope, validate_data
from orderpulse.events.topics import ALL_TOPICS
from orderpulse.messaging.kafka import create_consumer, create_producer
from orderpulse.rfc3339 import format_time
from orderpulse.settings import PlatformSettings
from orderpulse.stack.processes import free_port, spawn, stop

KPI = "kpi-svc"
STAGGER = 4  # an order's next stage goes out 4 order-starts (~32 ms at 2,000 events/s) after the previous one
# the figures read (window 1h: nothing leaves it during the benchmark) and the stage that counts in each
FIGURES = {
    "order_entry_accuracy": "order.placed.v1",
    "shipped_within_sla": "shipment.dispatched.v1",
    "perfect_order": "fulfillment.completed.v1",
    "notification_timeliness": "notification.sent.v1",
}
WINDOW = "1h"
APPLIED = "applied"  # orderpulse_kpi_events_total summed over topics: +1 per record applied (not a gauge)
SHIP_TO = {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115", "line1": "Street 1"}


def lifecycle(order_id: str) -> list[tuple[str, str, Callable[[str], dict]]]:
    """(topic, event type, data builder taking the event time) for the 16 stages of one order."""
    lines = [{"line_id": "l1", "sku": "SKU-1", "quantity": 2, "unit_price": "12.50"},
             {"line_id": "l2", "sku": "SKU-2", "quantity": 1, "unit_price": "4.00"}]
    shipped = [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}]
    base = {"order_id": order_id}
    promised = format_time(datetime.now(UTC) + timedelta(days=5))
    shipment = {**base, "shipment_id": "s1", "carrier": "dhl"}

    def notification(milestone: str):
        return lambda now: {**base, "notification_id": uuid.uuid4().hex, "customer_id": "c1", "milestone": milestone,
                            "channel": "email", "trigger_event_id": "e", "trigger_time": now, "sent_at": now,
                            "unit_cost": "0.01"}

    return [
        (ORDERS, "order.placed.v1", lambda now: {
            **base, "customer_id": "c1", "customer_tier": "standard", "channel": "web", "lines": lines, "currency": "EUR",
            "total": "29.00", "ship_to": SHIP_TO, "service_level": "standard", "promised_by": promised,
            "requested_at": now, "entry_discrepancies": []}),
        (ORDERS, "order.confirmed.v1", lambda now: {**base, "lines": lines, "ship_to": SHIP_TO, "service_level": "standard", "promised_by": promised}),
        (ORDERS, "order.invoiced.v1", lambda now: {**base, "invoice_id": "i1", "lines": lines, "subtotal": "29.00", "tax": "0.00", "total": "29.00",
                                                        "currency": "EUR"}),
        (FULFILLMENT, "fulfillment.created.v1", lambda now: {**base, "fulfillment_id": "f1", "warehouse_id": "wh_berlin", "lines": lines}),
        (FULFILLMENT, "fulfillment.packed.v1", lambda now: {
            **base, "fulfillment_id": "f1", "shipment_id": "s1", "lines": shipped, "documents": [{"kind": "invoice", "ref": "r"}],
            "document_discrepancies": []}),
        (FULFILLMENT, "shipment.dispatched.v1", lambda now: {
            **shipment, "warehouse_id": "wh_berlin", "tracking_number": "t", "lines": lines, "promised_by": promised,
            "eta": promised, "shipping_cost": "4.90"}),
        (FULFILLMENT, "shipment.in_transit.v1", lambda now: dict(shipment)),
        (FULFILLMENT, "shipment.in_transit.v1", lambda now: dict(shipment)),
        (FULFILLMENT, "shipment.out_for_delivery.v1", lambda now: dict(shipment)),
        (FULFILLMENT, "shipment.delivered.v1", lambda now: {**shipment, "condition": "intact", "lines": shipped}),
        (FULFILLMENT, "fulfillment.completed.v1", lambda now: {
            **base, "shipments": 1, "delivered_at": now, "lines_requested": shipped, "lines_delivered": shipped,
            "closed_short": False}),
        (NOTIFICATIONS, "notification.sent.v1", notification("order_confirmed")),
        (NOTIFICATIONS, "notification.sent.v1", notification("shipped")),
        (NOTIFICATIONS, "notification.sent.v1", notification("out_for_delivery")),
        (NOTIFICATIONS, "notification.sent.v1", notification("delivered")),
        (FEEDBACK, "survey.requested.v1", lambda now: {**base, "survey_id": "sv1", "customer_id": "c1",
                                                           "survey_url": "https://example.com/s", "expires_at": promised}),
    ]


def check_catalog() -> None:
    """Every stage's data validates against the event catalog (strictly, as producers do)."""
    now = format_time(datetime.now(UTC))
    for _topic, etype, data in lifecycle("ord-check"):
        validate_data(etype, data(now))


@dataclass
class Run:
    prefix: str
    counted: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in FIGURES})  # event times, send order
    baseline: list[float] = field(default_factory=list)  # ms
    polls: list[tuple[float, dict[str, float], float | None, float]] = field(default_factory=list)
    sent: int = 0
    failed_polls: int = 0
    sent_at: list[float] = field(default_factory=list)  # wall time of each send
    started: float = 0.0
    finished: float = 0.0


READ = [("name[]", name) for name in ("orderpulse_kpi_denominator", "orderpulse_kpi_events_total",
                                      "orderpulse_kpi_freshness_seconds")]
WHOLE = False  # --whole-metrics: every poll asks for the whole exposition


async def read_metrics(client: httpx.AsyncClient) -> tuple[dict[str, float], float | None]:
    text = (await client.get("/metrics", params=None if WHOLE else READ)).text
    figures, freshness = {"_bytes": len(text)}, None
    for line in text.splitlines():
        if line.startswith("orderpulse_kpi_denominator{"):
            name, value = line.rsplit(" ", 1)
            for kpi in FIGURES:
                if f'kpi="{kpi}"' in name and f'window="{WINDOW}"' in name:
                    figures[kpi] = float(value)
        elif line.startswith("orderpulse_kpi_events_total{"):
            figures[APPLIED] = figures.get(APPLIED, 0.0) + float(line.rsplit(" ", 1)[1])
        elif line.startswith("orderpulse_kpi_freshness_seconds "):
            freshness = float(line.split()[1])
    return figures, freshness


async def poll(client: httpx.AsyncClient, run: Run, poll_s: float, stop_polling: asyncio.Event) -> None:
    while not stop_polling.is_set():
        asked = time.time()
        try:
            figures, freshness = await read_metrics(client)
        except httpx.TransportError:  # e.g. a kept-alive connection closed by the server as the poll went out
            run.failed_polls += 1
            continue
        answered = time.time()
        run.polls.append((answered, figures, freshness, answered - asked))
        await asyncio.sleep(max(0.0, poll_s - (time.time() - asked)))


async def bare_consumer(bootstrap: str, topics: list[str], runs: list[Run], ready: asyncio.Event) -> None:
    consumer = create_consumer(PlatformSettings(kafka_bootstrap=bootstrap), *topics, group_id=f"bare-{uuid.uuid4().hex[:8]}",
                               auto_offset_reset="latest", max_poll_records=2000)
    await consumer.start()
    fromiso = datetime.fromisoformat
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=100)
            now = time.time()
            if consumer.assignment():
                ready.set()
            run = runs[-1] if runs else None
            for records in batch.values():
                for record in records:
                    event = orjson.loads(record.value)
                    if run is not None and event["data"]["order_id"].startswith(run.prefix):
                        run.baseline.append((now - fromiso(event["time"]).timestamp()) * 1000)
    finally:
        await consumer.stop()


async def produce(producer, run: Run, rate: float, seconds: float, prefix_topics: str) -> None:
    per_order = len(lifecycle("x"))
    orders = max(1, round(rate * seconds / per_order))
    slot_rate = rate / per_order  # order starts per second
    stages = [lifecycle(f"{run.prefix}{k:06d}") for k in range(orders)]
    slots = orders + (per_order - 1) * STAGGER
    begin = time.monotonic()
    run.started = time.time()
    slot = 0
    futures = []
    while slot < slots:
        due = int((time.monotonic() - begin) * slot_rate) + 1
        for i in range(slot, min(due, slots)):
            for j in range(per_order):
                k = i - j * STAGGER
                if 0 <= k < orders:
                    topic, etype, data = stages[k][j]
                    moment = datetime.now(UTC)
                    order_id = f"{run.prefix}{k:06d}"
                    envelope = new_envelope(type=etype, source="/bench", key=order_id, data=data(format_time(moment)), time=moment)
                    futures.append(await producer.send(prefix_topics + topic, key=order_id.encode(), value=envelope.to_json()))
                    if etype in FIGURES.values():
                        for kpi, counted in FIGURES.items():
                            if counted == etype:
                                run.counted[kpi].append(moment.timestamp())
                    run.sent += 1
                    run.sent_at.append(moment.timestamp())
        slot = min(due, slots)
        await asyncio.sleep(max(0.0, begin + slot / slot_rate - time.monotonic()) if slot < slots else 0)
    await asyncio.gather(*futures)
    run.finished = time.time()


def latencies(run: Run, base: dict[str, float]) -> dict[str, list[float]]:
    """Per figure, ms from each counted event's time to the first poll showing it."""
    out = {}
    for kpi, times in [*run.counted.items(), (APPLIED, run.sent_at)]:
        values, p = [], 0
        for n, event_time in enumerate(times, start=1):
            while p < len(run.polls) and run.polls[p][1].get(kpi, 0) - base[kpi] < n:
                p += 1
            if p == len(run.polls):
                raise RuntimeError(f"{kpi}: the gauge never counted event {n} of {len(times)}")
            values.append((run.polls[p][0] - event_time) * 1000)
        out[kpi] = values
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def measure(bootstrap: str, kpi_url: str, topic_prefix: str, args, kpi_pid: int) -> list[dict]:
    producer = create_producer(PlatformSettings(kafka_bootstrap=bootstrap), client_id="kpi-freshness-bench")
    await producer.start()
    runs: list[Run] = []
    kpi_process = psutil.Process(kpi_pid)
    ready = asyncio.Event()
    baseline = asyncio.create_task(bare_consumer(bootstrap, [topic_prefix + t for t in ALL_TOPICS], runs, ready))
    await asyncio.wait_for(ready.wait(), 60)
    results = []
    try:
        async with httpx.AsyncClient(base_url=kpi_url, timeout=10.0) as client:
            # warm-up: one order, and the gauges must count it exactly as the runs assume
            warm = Run(prefix=f"warm-{uuid.uuid4().hex[:6]}-")
            await settle(client, warm, args, producer, topic_prefix, rate=200, seconds=0.08, check_only=True)
            for number in range(1, args.runs + 1):
                run = Run(prefix=f"r{number}-{uuid.uuid4().hex[:6]}-")
                runs.append(run)
                cpu_before = sum(kpi_process.cpu_times()[:2])
                profiler = await profile(kpi_pid, args) if number == 1 and args.profile else None
                results.append(await settle(client, run, args, producer, topic_prefix, args.rate, args.seconds))
                r = results[-1]
                r["cpu"] = (sum(kpi_process.cpu_times()[:2]) - cpu_before) / r.pop("elapsed")
                if profiler is not None:
                    await profiler.wait()
                print(f"run {number}: {run.sent:,} events at {r['rate']:,.0f}/s · gauges p50 {r['p50']:,.0f} ms "
                      f"p99 {r['p99']:,.0f} ms ({', '.join(f'{k} {v:,.0f}' for k, v in r['per_figure'].items())}) · "
                      f"applied p50 {r['applied50']:,.0f} ms p99 {r['applied99']:,.0f} ms · "
                      f"freshness gauge p50 {r['fresh50']:,.0f} ms p99 {r['fresh99']:,.0f} ms · baseline p50 "
                      f"{r['base50']:,.0f} ms p99 {r['base99']:,.0f} ms · polls every {r['poll_gap']:.0f} ms "
                      f"(answer {r['poll_answer']:.1f} ms, {r['bytes'] / 1000:.0f} kB, {run.failed_polls} failed) · kpi-svc CPU {r['cpu']:.0%} · load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        baseline.cancel()
        await asyncio.gather(baseline, return_exceptions=True)
        await producer.stop()
    return results


async def profile(pid: int, args):
    """py-spy (in .venv) records kpi-svc during the first run: collapsed stacks for a flame graph."""
    spy = Path(sys.executable).with_name("py-spy")
    return await asyncio.create_subprocess_exec(
        str(spy), "record", "-p", str(pid), "-o", args.profile, "--format", "raw", "-r", "200", "-d", str(int(args.seconds)),
        "--nonblocking", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def settle(client, run: Run, args, producer, topic_prefix: str, rate: float, seconds: float,
                 check_only: bool = False) -> dict:
    base, _ = await read_metrics(client)
    base = {kpi: base.get(kpi, 0.0) for kpi in [*FIGURES, APPLIED]}
    stop_polling = asyncio.Event()
    poller = asyncio.create_task(poll(client, run, args.poll_ms / 1000, stop_polling))
    await produce(producer, run, rate, seconds, topic_prefix)
    deadline = time.monotonic() + 60
    expected = {kpi: base[kpi] + len(times) for kpi, times in run.counted.items()}
    expected[APPLIED] = base[APPLIED] + run.sent
    while not run.polls or any(run.polls[-1][1].get(kpi, 0) < want for kpi, want in expected.items()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the gauges never counted every event: {run.polls[-1][1] if run.polls else None} vs {expected}")
        await asyncio.sleep(0.05)
    stop_polling.set()
    await poller
    final, _ = await read_metrics(client)
    if {kpi: final.get(kpi) for kpi in expected} != expected:
        raise RuntimeError(f"gauges not exact after the run: {final} vs {expected}")
    if check_only:
        return {}
    found = latencies(run, base)
    applied = found.pop(APPLIED)
    together = [v for values in found.values() for v in values]
    live = [p for p in run.polls if run.started <= p[0] <= run.finished and p[2] is not None]
    gaps = [b[0] - a[0] for a, b in zip(run.polls, run.polls[1:], strict=False)]
    ramp_s = (len(lifecycle("x")) - 1) * STAGGER / (rate / len(lifecycle("x")))  # stages still starting / ending
    steady = [t for t in run.sent_at if run.sent_at[0] + ramp_s <= t <= run.sent_at[-1] - ramp_s]
    return {
        "elapsed": time.time() - run.started, "bytes": run.polls[-1][1]["_bytes"],
        "rate": len(steady) / (steady[-1] - steady[0]) if len(steady) > 1 else run.sent / (run.finished - run.started),
        "p50": pct(together, 0.5), "p99": pct(together, 0.99),
        "per_figure": {kpi: pct(values, 0.99) for kpi, values in found.items()},
        "fresh50": pct([p[2] * 1000 for p in live], 0.5), "fresh99": pct([p[2] * 1000 for p in live], 0.99),
        "applied50": pct(applied, 0.5), "applied99": pct(applied, 0.99),
        "base50": pct(run.baseline, 0.5), "base99": pct(run.baseline, 0.99),
        "poll_gap": statistics.median(gaps) * 1000, "poll_answer": statistics.median(p[3] for p in run.polls) * 1000,
    }


def kpi_env(infra, topic_prefix: str, extra: list[str]) -> dict[str, str]:
    env = service_env(infra, KPI, idempotence=infra.kafka_enable_idempotence, topic_prefix=topic_prefix)
    for item in extra:
        name, _, value = item.partition("=")
        env[name] = value
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=2000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--poll-ms", type=float, default=50.0, help="interval between polls of kpi-svc's /metrics")
    parser.add_argument("--kpi-env", nargs="*", default=[], help="extra environment of kpi-svc, NAME=value")
    parser.add_argument("--profile", help="py-spy kpi-svc during the first run, collapsed stacks to this file")
    parser.add_argument("--whole-metrics", action="store_true",
                        help="poll the whole /metrics (without `name[]`, as a kpi-svc before it could filter must be)")
    args = parser.parse_args()
    global WHOLE
    WHOLE = args.whole_metrics
    check_catalog()
    print(f"kpi-svc freshness benchmark · {machine()} · load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(__doc__.split("\n\n")[1])
    print(__doc__.split("\n\n")[2])
    if args.kpi_env:
        print(f"kpi-svc settings: {' '.join(args.kpi_env)}")
    topic_prefix = f"fresh{uuid.uuid4().hex[:6]}."
    with infrastructure() as infra, tempfile.TemporaryDirectory(prefix="kpi-freshness-") as logs:
        manifest = prepare_kpi_svc(infra, topic_prefix)
        port = free_port()
        process = spawn([sys.executable, "-m", "uvicorn", manifest.app, "--host", "127.0.0.1", "--port", str(port),
                         "--no-access-log", "--timeout-graceful-shutdown", "10"],
                        log_path=Path(os.environ.get("KPI_FRESHNESS_LOGS", logs)) / "kpi-svc.log",
                        env=kpi_env(infra, topic_prefix, args.kpi_env))
        url = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(wait_ready({KPI: url}))
            results = asyncio.run(measure(infra.kafka_bootstrap, url, topic_prefix, args, process.pid))
        finally:
            stop(process, timeout_s=15)
            if process.returncode not in (0, None, -15):
                print((Path(os.environ.get("KPI_FRESHNESS_LOGS", logs)) / "kpi-svc.log").read_text()[-3000:])
    p99s = [r["p99"] for r in results]
    base99s = [r["base99"] for r in results]
    fresh99s = [r["fresh99"] for r in results]
    applied99s = [r["applied99"] for r in results]
    rates = [r["rate"] for r in results]
    print(f"gauges p99 over runs: median {statistics.median(p99s):,.0f} ms, min {min(p99s):,.0f}, max {max(p99s):,.0f} "
          f"(n={len(p99s)}); p50 median {statistics.median(r['p50'] for r in results):,.0f} ms")
    print(f"applied (orderpulse_kpi_events_total) p99 over runs: median {statistics.median(applied99s):,.0f} ms, "
          f"min {min(applied99s):,.0f}, max {max(applied99s):,.0f}")
    print(f"freshness gauge p99 over runs: median {statistics.median(fresh99s):,.0f} ms, min {min(fresh99s):,.0f}, max {max(fresh99s):,.0f}")
    print(f"baseline (bare consumer) p99 over runs: median {statistics.median(base99s):,.0f} ms, min {min(base99s):,.0f}, "
          f"max {max(base99s):,.0f}")
    gap = statistics.median(r["poll_gap"] for r in results)
    print(f"poll resolution: one poll every {gap:.0f} ms (median gap; a poll waits for the previous answer, median "
          f"{statistics.median(r['poll_answer'] for r in results):.0f} ms) = {gap / statistics.median(p99s):.0%} of the median p99")
    met = statistics.median(p99s) < 1000
    print(f"bar (quality.md): p99 < 1,000 ms at 2,000 events/s -> {'met' if met and statistics.median(rates) >= 1900 else 'NOT met'}; "
          f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"RESULT kpi_freshness p99_ms={statistics.median(p99s):.0f} rate={statistics.median(rates):.0f}/s")
    print(f"RESULT kpi_freshness_baseline p99_ms={statistics.median(base99s):.0f} rate={statistics.median(rates):.0f}/s")


if __name__ == "__main__":
    main()
