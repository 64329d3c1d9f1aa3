"""Order placed → confirmation email stored by the SMTP server, end to end (quality.md: p99 < 1 s at 200 orders/s).

Method: embedded PostgreSQL + Tansu; order-svc and notify-svc run as uvicorn processes, as
`orderpulse up` runs them. The benchmark's own work is split over three processes, so that none
slows another through one event loop and one GIL: this one (set-up and figures), an open-loop
load generator (`_open_loop.py`: keep-alive connections, the n-th POST due at start + n/rate
whatever the answers before it take) and the SMTP server (`_arrival_sink.py`: each email's
arrival time). Standard-tier customers are created first and one warm-up order is awaited
(consumer groups joined). Each run places rate × seconds orders through `POST /v1/orders` and
waits for every order's confirmation email. Latency = email arrival − the moment its POST was
due (not sent: a request that waits inside the generator counts its wait): order-svc's
transaction, outbox relay, Kafka, notify-svc's consumer and sender, SMTP. Printed per run: p50
and p99 end to end; the POST's answer from due (p50, p99); of it the time before it was sent
(sent − due, p99: waiting for a free connection or for the generator) and how late the
generator's schedule ran at worst; order-svc's own request time (p99 from its duration
histogram); 503 retries; the rate of orders answered; and from notify-svc's table, trigger → row
(split where order-svc's relay marked the trigger published) and row → sent. The RESULT line gives
the median p99 of the runs.

    .venv/bin/python bench/notify_e2e_bench.py [--rate 200] [--seconds 10] [--runs 5] [--connections 64]
        [--notify-setting sender_workers=1 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import orjson
from _harness import (
    add_service_loop_option,
    infrastructure,
    machine,
    resolve_loop,
    service_env,
    uvicorn_loop,
    wait_ready,
)
from orderpulse.db.migrations import upgrade
from orderpulse.events import CUSTOMERS as CUSTOMERS_TOPIC
from orderpulse.events import ORDERS, new_envelope
from orderpulse.events.topics import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic
from orderpulse.messaging.kafka import create_producer, ensure_topics
from orderpulse.services import service_named
from orderpulse.settings import PlatformSettings
from orderpulse.stack.processes import free_port, spawn, stop
from orderpulse.testing.database import plain_dsn
from prometheus_client.parser import text_string_to_metric_families

HERE = Path(__file__).resolve().parent
SERVICES = ("order-svc", "notify-svc")
NOTIFY_ONLY = ("notify-svc",)
KEYS = {role: f"bench-key-{role}-{uuid.uuid4().hex[:8]}" for role in ("storefront", "admin", "support", "account_manager")}
SECRETS = {"tracking": uuid.uuid4().hex + uuid.uuid4().hex, "notify-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
CUSTOMERS = 50
LEAD_S = 1.0  # the generator's clock starts this long after the job is handed over (its start-up, its connections)
POST_DURATION = "orderpulse_http_request_duration_seconds"


class ArrivalSink:
    """The SMTP server process (`_arrival_sink.py`) and what it has written: order id -> first arrival."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.arrived: dict[str, float] = {}
        self._path = folder / "arrivals.tsv"
        self._path.touch()
        self._log = folder / "arrival-sink.log"
        self._offset = 0
        self._process = None

    def __enter__(self) -> ArrivalSink:
        self._process = spawn(
            [sys.executable, str(HERE / "_arrival_sink.py"), str(self.port), str(self._path)],
            log_path=self._log,
            env=os.environ,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the SMTP sink did not start; see {self._log}") from None
                time.sleep(0.1)

    def __exit__(self, *_exc) -> None:
        stop(self._process, timeout_s=5)

    def read(self) -> dict[str, float]:
        """Take in the lines written since the last call (whole lines only)."""
        with open(self._path, "rb") as arrivals:
            arrivals.seek(self._offset)
            chunk = arrivals.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode().splitlines():
            order_id, at = line.split("\t")
            self.arrived.setdefault(order_id, float(at))
        return self.arrived

    async def wait_for(self, order_ids, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            arrived = self.read()
            missing = sum(order_id not in arrived for order_id in order_ids)
            if not missing:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{missing} of {len(order_ids)} confirmation emails never arrived")
            await asyncio.sleep(0.1)


@dataclass(frozen=True)
class Run:
    p50_ms: float
    p99_ms: float
    rate: float  # orders answered per second, first due to last answer
    post_p50_ms: float = 0.0  # answer − due
    post_p99_ms: float = 0.0
    queued_p99_ms: float = 0.0  # sent − due: waiting for one of the generator's connections (and for its loop)
    behind_ms: float = 0.0  # how late the generator's schedule itself ran at worst (its own CPU starved)
    server_p99_ms: float | None = None  # order-svc's request time, from its histogram
    busy_retries: int = 0
    reconnects: int = 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def measure(infra, urls, sink, rate, seconds, runs, connections, notify_only) -> list[Run]:
    """Every run in one event loop (the producer of `--notify-only` lives in it)."""
    producer = await setup_events(infra, sink) if notify_only else None
    if producer is None:
        await setup(urls["order-svc"], sink)
    try:
        results = []
        for _ in range(runs):
            if producer is None:
                results.append(await run_once(urls["order-svc"], sink, rate, seconds, connections))
            else:
                results.append(await publish_once(producer, sink, rate, seconds))
            print(await where_the_time_went(infra.database_url, None if notify_only else service_named("order-svc").schema))
        return results
    finally:
        if producer is not None:
            await producer.stop()


async def where_the_time_went(database_url: str, relay_schema: str | None) -> str:
    """notify-svc's share, from its table: trigger -> row written (consumer), row -> sent (sender).
    With order-svc running (`relay_schema`), trigger -> row is split at the moment order-svc's relay
    marked the trigger published (Kafka had acknowledged it): the relay's share, then Kafka's fetch
    and notify-svc's consumer."""
    connection = await asyncpg.connect(plain_dsn(database_url))
    recent = "n.status = 'sent' AND n.created_at > now() - interval '40 seconds'"
    try:
        row = await connection.fetchrow(
            f"SELECT {_quantiles('n.created_at - n.trigger_time', 'c')}, {_quantiles('n.sent_at - n.created_at', 's')} "
            f"FROM notify_svc.notifications n WHERE {recent}"
        )
        relay = None
        if relay_schema is not None:
            relay = await connection.fetchrow(
                f"SELECT {_quantiles('o.published_at - n.trigger_time', 'r')}, {_quantiles('n.created_at - o.published_at', 'k')} "
                f"FROM notify_svc.notifications n JOIN {relay_schema}.outbox o ON o.event_id = n.trigger_event_id WHERE {recent}"
            )
        await connection.execute("DELETE FROM notify_svc.notifications WHERE created_at < now() - interval '1 second'")
    finally:
        await connection.close()
    line = f"   notify-svc: event -> row {_ms(row, 'c')} · row -> sent {_ms(row, 's')}"
    if relay is not None and relay["r50"] is not None:
        line += f"\n     of event -> row: event -> published by order-svc's relay {_ms(relay, 'r')} · published -> row {_ms(relay, 'k')}"
    return line


def _quantiles(interval: str, name: str) -> str:
    return ", ".join(
        f"percentile_cont({q}) WITHIN GROUP (ORDER BY extract(epoch FROM {interval})) AS {name}{label}"
        for q, label in ((0.5, "50"), (0.99, "99"))
    )


def _ms(row, name: str) -> str:
    return f"p50 {row[name + '50'] * 1000:,.0f} ms p99 {row[name + '99'] * 1000:,.0f} ms"


def stack_service_env(infra, name: str, smtp_port: int, notify_settings: dict[str, str]) -> dict[str, str]:
    extra = notify_settings if name == "notify-svc" else {}
    return service_env(infra, name, api_keys=orjson.dumps(KEYS).decode(),
                       signing_secrets=orjson.dumps(SECRETS).decode(), smtp_port=str(smtp_port), **extra)


def order_body(n: int) -> dict:
    return {
        "customer_id": f"bench-cus-{n % CUSTOMERS}",
        "lines": [{"sku": "BENCH-MUG", "quantity": 1, "unit_price": "12.50"}],
        "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115", "line1": "Street 1"},
        "channel": "web",
        "service_level": "standard",
    }


def order_request(n: int) -> list:
    """[method, path, headers, body] of the n-th order, as `_open_loop.py` takes it (a key of its own)."""
    headers = {
        "Authorization": f"Bearer {KEYS['storefront']}",
        "Idempotency-Key": uuid.uuid4().hex,
        "Content-Type": "application/json",
    }
    return ["POST", "/v1/orders", headers, orjson.dumps(order_body(n)).decode()]


async def generate(order_url: str, rate: float, count: int, connections: int) -> dict:
    """`count` POSTs from the open-loop generator, in a process of its own; its answers."""
    job = {
        "url": order_url, "rate": rate, "start": time.time() + LEAD_S, "connections": connections,
        "requests": [order_request(n) for n in range(count)],
    }
    with tempfile.TemporaryDirectory(prefix="open-loop-") as folder:
        answers = Path(folder) / "answers.json"
        generator = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "_open_loop.py"), str(answers), stdin=asyncio.subprocess.PIPE
        )
        await generator.communicate(orjson.dumps(job))
        if generator.returncode != 0:
            raise RuntimeError(f"the load generator failed (exit {generator.returncode})")
        return orjson.loads(answers.read_bytes())


async def post_durations(order_url: str) -> dict[float, float]:
    """order-svc's cumulative POST /v1/orders duration histogram: upper bound (s) -> count."""
    async with httpx.AsyncClient(base_url=order_url, timeout=10.0) as client:
        text = (await client.get("/metrics")).text
    buckets = {}
    for family in text_string_to_metric_families(text):
        if family.name != POST_DURATION:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket") and sample.labels.get("route") == "/v1/orders" and sample.labels.get("method") == "POST":
                buckets[float(sample.labels["le"])] = sample.value
    return buckets


def histogram_quantile(share: float, before: dict[float, float], after: dict[float, float]) -> float | None:
    """The quantile of the requests between two scrapes, interpolated in its bucket as Prometheus does (s)."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    rank, lower, below = share * counts[-1], 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return None


async def run_once(order_url: str, sink: ArrivalSink, rate: float, seconds: float, connections: int) -> Run:
    count = int(rate * seconds)
    histogram_before = await post_durations(order_url)
    outcome = await generate(order_url, rate, count, connections)
    server_p99 = histogram_quantile(0.99, histogram_before, await post_durations(order_url))
    due: dict[str, float] = {}
    answered, queued, last_answer = [], [], 0.0
    for due_at, sent_at, answered_at, status, body in outcome["answers"]:
        reply = orjson.loads(body)
        if status != 201 or reply["status"] != "confirmed":
            raise RuntimeError(f"order refused or not confirmed: {status} {body[:300]}")
        due[reply["order_id"]] = due_at
        answered.append((answered_at - due_at) * 1000)
        queued.append((sent_at - due_at) * 1000)
        last_answer = max(last_answer, answered_at)
    await sink.wait_for(due)
    latencies = [(sink.arrived[order_id] - at) * 1000 for order_id, at in due.items()]
    return Run(
        p50_ms=percentile(latencies, 0.5), p99_ms=percentile(latencies, 0.99),
        rate=count / (last_answer - min(due.values())),
        post_p50_ms=percentile(answered, 0.5), post_p99_ms=percentile(answered, 0.99), queued_p99_ms=percentile(queued, 0.99),
        server_p99_ms=None if server_p99 is None else server_p99 * 1000,
        busy_retries=outcome["busy_retries"], reconnects=outcome["reconnects"], behind_ms=outcome["schedule_lag_s"] * 1000,
    )


async def publish_order(producer, n: int, due_at: float) -> str:
    """What order-svc would publish for one order: placed, then confirmed (the outbox relay's part left out)."""
    order_id = f"bench-ord-{uuid.uuid4().hex[:12]}"
    data = {
        "order_id": order_id, "customer_id": f"bench-cus-{n % CUSTOMERS}", "customer_tier": "standard", "channel": "web",
        "lines": [{"line_id": "l1", "sku": "BENCH-MUG", "quantity": 1, "unit_price": "12.50"}], "currency": "EUR",
        "total": "12.50", "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
        "service_level": "standard", "promised_by": "2030-01-01T00:00:00Z", "entry_discrepancies": [],
    }
    placed = new_envelope(type="order.placed.v1", source="/bench", key=order_id, data=data)
    confirmed = new_envelope(type="order.confirmed.v1", source="/bench", key=order_id, data={
        "order_id": order_id, "lines": data["lines"], "ship_to": data["ship_to"], "service_level": "standard",
        "promised_by": data["promised_by"],
    })
    for envelope in (placed, confirmed):
        await producer.send(ORDERS, key=order_id.encode(), value=envelope.to_json())
    return order_id


async def publish_once(producer, sink: ArrivalSink, rate: float, seconds: float) -> Run:
    """`--notify-only`: order-svc's two events per order straight to Kafka, open loop as above."""
    count = int(rate * seconds)
    due: dict[str, float] = {}
    begin, begin_wall = time.monotonic(), time.time()
    for n in range(count):
        delay = begin + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        due[await publish_order(producer, n, begin_wall + n / rate)] = begin_wall + n / rate
    await producer.flush()
    achieved = count / (time.monotonic() - begin)
    await sink.wait_for(due)
    latencies = [(sink.arrived[order_id] - at) * 1000 for order_id, at in due.items()]
    return Run(p50_ms=percentile(latencies, 0.5), p99_ms=percentile(latencies, 0.99), rate=achieved)


async def setup_events(infra, sink: ArrivalSink):
    """Customers as order-svc would announce them; a warm-up order; returns a started producer."""
    producer = create_producer(PlatformSettings(kafka_bootstrap=infra.kafka_bootstrap), client_id="bench-order-svc")
    await producer.start()
    for n in range(CUSTOMERS):
        customer_id = f"bench-cus-{n}"
        envelope = new_envelope(type="customer.upserted.v1", source="/bench", key=customer_id, data={
            "customer_id": customer_id, "tier": "standard", "name": f"Customer {n}", "email": f"c{n}@example.com",
            "phone": "+491510000000", "locale": "en", "timezone": "UTC",
        })
        await producer.send(CUSTOMERS_TOPIC, key=customer_id.encode(), value=envelope.to_json())
    warm_up = await publish_order(producer, 0, time.time())
    await producer.flush()
    await sink.wait_for([warm_up])
    return producer


async def setup(order_url: str, sink: ArrivalSink) -> None:
    admin = {"Authorization": f"Bearer {KEYS['admin']}"}
    async with httpx.AsyncClient(base_url=order_url, timeout=30.0) as client:
        answer = await client.put(
            "/v1/catalog/BENCH-MUG", json={"name": "Mug", "unit_price": "12.50", "currency": "EUR", "max_quantity": 10}, headers=admin
        )
        answer.raise_for_status()
        for n in range(CUSTOMERS):
            body = {"tier": "standard", "name": f"Customer {n}", "email": f"c{n}@example.com", "phone": "+491510000000"}
            (await client.put(f"/v1/customers/bench-cus-{n}", json=body, headers=admin)).raise_for_status()
        _method, path, headers, body = order_request(0)
        answer = await client.post(path, content=body, headers=headers)
        if answer.status_code != 201 or answer.json()["status"] != "confirmed":
            raise RuntimeError(f"the warm-up order was refused or not confirmed: {answer.status_code} {answer.text[:300]}")
    await sink.wait_for([answer.json()["order_id"]])


def describe(run_number: int, count: int, run: Run, notify_only: bool) -> str:
    line = f"run {run_number}: {count} orders at {run.rate:,.0f}/s   p50 {run.p50_ms:,.0f} ms   p99 {run.p99_ms:,.0f} ms"
    if notify_only:
        return line
    server = "?" if run.server_p99_ms is None else f"{run.server_p99_ms:,.0f}"
    return (
        f"{line}   (POST from due: p50 {run.post_p50_ms:,.0f} ms, p99 {run.post_p99_ms:,.0f} ms; of it sent − due p99 "
        f"{run.queued_p99_ms:,.1f} ms, the schedule at worst {run.behind_ms:,.1f} ms late; order-svc's own p99 ~{server} ms; "
        f"503 retries {run.busy_retries}, reconnects {run.reconnects})"
    )


def main(rate: float, seconds: float, runs: int, connections: int, notify_only: bool = False,
         notify_settings: dict[str, str] | None = None, loop: str | None = None) -> None:
    loops = {name: resolve_loop(loop, name) for name in SERVICES}
    print(f"notify end-to-end benchmark · {machine()} · " + ", ".join(f"{name} on {chosen}" for name, chosen in loops.items()))
    print(__doc__.split("\n\n")[1])
    with infrastructure() as infra, tempfile.TemporaryDirectory(prefix="notify-bench-") as logs_tmp:
        logs = Path(os.environ.get("NOTIFY_BENCH_LOGS", logs_tmp))
        logs.mkdir(parents=True, exist_ok=True)
        asyncio.run(ensure_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *(dlq_topic(s) for s in SERVICES)], partitions=DEFAULT_PARTITIONS))
        processes, urls = [], {}
        with ArrivalSink(logs) as sink:
            try:
                for name in NOTIFY_ONLY if notify_only else SERVICES:
                    manifest = service_named(name)
                    upgrade(manifest.migrations, infra.database_url, manifest.schema)
                    port = free_port()
                    processes.append(
                        spawn(
                            [sys.executable, "-m", "uvicorn", manifest.app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                             *uvicorn_loop(loops[name])],
                            log_path=logs / f"{name}.log",
                            env=stack_service_env(infra, name, sink.port, notify_settings or {}),
                        )
                    )
                    urls[name] = f"http://127.0.0.1:{port}"
                asyncio.run(wait_ready(urls))
                results = asyncio.run(measure(infra, urls, sink, rate, seconds, runs, connections, notify_only))
            finally:
                for process in processes:
                    stop(process, timeout_s=15)
    for number, run in enumerate(results, start=1):
        print(describe(number, int(rate * seconds), run, notify_only))
    p99s = [run.p99_ms for run in results]
    name = "notify_only" if notify_only else "notify_e2e"
    print(f"p99 over runs: median {statistics.median(p99s):,.0f} ms, min {min(p99s):,.0f}, max {max(p99s):,.0f} (n={runs})")
    print(f"RESULT {name} p99_ms={statistics.median(p99s):.0f} rate={statistics.median(run.rate for run in results):.0f}/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections of the load generator")
    parser.add_argument(
        "--notify-only", action="store_true",
        help="publish order-svc's events (placed, confirmed) straight to Kafka: notify-svc's share of the latency alone",
    )
    parser.add_argument(
        "--notify-setting", action="append", default=[], metavar="NAME=VALUE",
        help="a setting of notify-svc's (ORDERPULSE_<NAME>), e.g. sender_workers=1; repeatable",
    )
    add_service_loop_option(parser)
    args = parser.parse_args()
    settings = dict(setting.split("=", 1) for setting in args.notify_setting)
    if settings:
        print(f"notify-svc settings: {settings}")
    main(args.rate, args.seconds, args.runs, args.connections, args.notify_only, settings, args.loop)
