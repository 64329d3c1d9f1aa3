"""Order placed → confirmation email stored by the SMTP server, end to end (quality.md: p99 < 1 s at 200 orders/s).

Method: embedded PostgreSQL + Tansu; order-svc and notify-svc run as uvicorn processes, as
`orderpulse up` runs them; an aiosmtpd server in this process stores each email with its arrival
time. Standard-tier customers are created first and one warm-up order is awaited (consumer
groups joined). Each run then places orders through `POST /v1/orders` at the target rate for
`--seconds` (one request started every 1/rate s, whatever the answers take) and waits for every
order's confirmation email. Latency = email arrival − the moment its POST was sent: order-svc's
transaction, outbox relay, Kafka, notify-svc's consumer and sender, SMTP. Printed per run: p50,
p99 and the rate achieved; the RESULT line gives the median p99 of the runs.

    .venv/bin/python bench/notify_e2e_bench.py [--rate 200] [--seconds 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import orjson
from _harness import infrastructure, machine, wait_ready
from aiosmtpd.controller import Controller
from orderpulse.db.migrations import upgrade
from orderpulse.events import CUSTOMERS as CUSTOMERS_TOPIC
from orderpulse.events import ORDERS, new_envelope
from orderpulse.events.topics import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic
from orderpulse.messaging.kafka import create_producer, ensure_topics
from orderpulse.services import service_named
from orderpulse.settings import PlatformSettings
from orderpulse.stack.processes import free_port, spawn, stop
from orderpulse.testing.database import plain_dsn

SERVICES = ("order-svc", "notify-svc")
NOTIFY_ONLY = ("notify-svc",)
KEYS = {role: f"bench-key-{role}-{uuid.uuid4().hex[:8]}" for role in ("storefront", "admin", "support", "account_manager")}
SECRETS = {"tracking": uuid.uuid4().hex + uuid.uuid4().hex, "notify-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
CUSTOMERS = 50


class ArrivalSink:
    """Keeps the arrival time of the first email per order id."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.time()
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.arrived.setdefault(str(parsed["X-OrderPulse-Order-Id"]), now)
        return "250 OK"

    def __enter__(self) -> ArrivalSink:
        self._controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._controller.stop()


async def measure(infra, urls, sink, rate, seconds, runs, notify_only) -> list[tuple[float, float, float, float]]:
    """Every run in one event loop (the producer lives in it)."""
    producer = await setup_events(infra, sink) if notify_only else None
    if producer is None:
        await setup(urls["order-svc"], sink)
    try:
        results = []
        for _ in range(runs):
            results.append(await run_once(urls.get("order-svc", ""), sink, rate, seconds, producer))
            print(await where_the_time_went(infra.database_url))
        return results
    finally:
        if producer is not None:
            await producer.stop()


async def where_the_time_went(database_url: str) -> str:
    """notify-svc's share, from its table: trigger -> row written (consumer), row -> sent (sender)."""
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - trigger_time)) AS c50, "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - trigger_time)) AS c99, "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) AS s50, "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) AS s99 "
            "FROM notify_svc.notifications WHERE status = 'sent' AND created_at > now() - interval '40 seconds'"
        )
        await connection.execute("DELETE FROM notify_svc.notifications WHERE created_at < now() - interval '1 second'")
    finally:
        await connection.close()
    return (
        f"   notify-svc: event -> row p50 {row['c50'] * 1000:,.0f} ms p99 {row['c99'] * 1000:,.0f} ms · "
        f"row -> sent p50 {row['s50'] * 1000:,.0f} ms p99 {row['s99'] * 1000:,.0f} ms"
    )


def service_env(infra, name: str, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERPULSE_")}
    env.update(
        ORDERPULSE_SERVICE_NAME=name,
        ORDERPULSE_DATABASE_URL=infra.database_url,
        ORDERPULSE_KAFKA_BOOTSTRAP=infra.kafka_bootstrap,
        ORDERPULSE_KAFKA_ENABLE_IDEMPOTENCE="false",
        ORDERPULSE_API_KEYS=orjson.dumps(KEYS).decode(),
        ORDERPULSE_SIGNING_SECRETS=orjson.dumps(SECRETS).decode(),
        ORDERPULSE_SMTP_PORT=str(smtp_port),
        ORDERPULSE_LOG_LEVEL="WARNING",
        ORDERPULSE_CONSUMER_SESSION_TIMEOUT_MS="6000",
    )
    return env


def order_body(n: int) -> dict:
    return {
        "customer_id": f"bench-cus-{n % CUSTOMERS}",
        "lines": [{"sku": "BENCH-MUG", "quantity": 1, "unit_price": "12.50"}],
        "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115", "line1": "Street 1"},
        "channel": "web",
        "service_level": "standard",
    }


async def place(client: httpx.AsyncClient, n: int, sent: dict[str, float], answered: list[float] | None = None) -> None:
    started = time.time()
    headers = {"Authorization": f"Bearer {KEYS['storefront']}", "Idempotency-Key": uuid.uuid4().hex}
    for attempt in range(3):  # a dropped connection is retried with the same key, as a storefront would
        try:
            answer = await client.post("/v1/orders", json=order_body(n), headers=headers)
            break
        except httpx.TransportError:
            if attempt == 2:
                raise
    if answer.status_code != 201 or answer.json()["status"] != "confirmed":
        raise RuntimeError(f"order refused or not confirmed: {answer.status_code} {answer.text[:300]}")
    sent[answer.json()["order_id"]] = started
    if answered is not None:
        answered.append((time.time() - started) * 1000)


async def publish_order(producer, n: int, sent: dict[str, float], answered: list[float]) -> None:
    """What order-svc would publish for one order: placed, then confirmed (the outbox relay's part left out)."""
    order_id = f"bench-ord-{uuid.uuid4().hex[:12]}"
    data = {
        "order_id": order_id, "customer_id": f"bench-cus-{n % CUSTOMERS}", "customer_tier": "standard", "channel": "web",
        "lines": [{"line_id": "l1", "sku": "BENCH-MUG", "quantity": 1, "unit_price": "12.50"}], "currency": "EUR",
        "total": "12.50", "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
        "service_level": "standard", "promised_by": "2030-01-01T00:00:00Z", "entry_discrepancies": [],
    }
    started = time.time()
    placed = new_envelope(type="order.placed.v1", source="/bench", key=order_id, data=data)
    confirmed = new_envelope(type="order.confirmed.v1", source="/bench", key=order_id, data={
        "order_id": order_id, "lines": data["lines"], "ship_to": data["ship_to"], "service_level": "standard",
        "promised_by": data["promised_by"],
    })
    sent[order_id] = started
    for envelope in (placed, confirmed):
        await producer.send(ORDERS, key=order_id.encode(), value=envelope.to_json())
    answered.append(0.0)


async def run_once(order_url: str, sink: ArrivalSink, rate: float, seconds: float, producer=None) -> tuple[float, float, float, float]:
    sent: dict[str, float] = {}
    answered: list[float] = []
    count = int(rate * seconds)
    limits = httpx.Limits(max_connections=64)
    # no limit on waiting for one of the 64 connections: an overloaded order-svc shows as latency
    # (measured from the moment the POST was due), not as a crash of the load generator
    timeout = httpx.Timeout(30.0, pool=None)
    async with httpx.AsyncClient(base_url=order_url, timeout=timeout, limits=limits) as client:
        begin = time.monotonic()
        tasks = []
        for n in range(count):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if producer is None:
                tasks.append(asyncio.create_task(place(client, n, sent, answered)))
            else:
                tasks.append(asyncio.create_task(publish_order(producer, n, sent, answered)))
        await asyncio.gather(*tasks)
        if producer is not None:
            await producer.flush()
        achieved = count / (time.monotonic() - begin)
    deadline = time.monotonic() + 120
    while any(order_id not in sink.arrived for order_id in sent):
        if time.monotonic() > deadline:
            missing = sum(order_id not in sink.arrived for order_id in sent)
            raise RuntimeError(f"{missing} of {len(sent)} confirmation emails never arrived")
        await asyncio.sleep(0.1)
    latencies = sorted((sink.arrived[o] - t) * 1000 for o, t in sent.items())
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return p50, p99, achieved, statistics.median(answered)


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
    sent: dict[str, float] = {}
    await publish_order(producer, 0, sent, [])
    await producer.flush()
    deadline = time.monotonic() + 120
    while not all(order_id in sink.arrived for order_id in sent):
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up order's email never arrived")
        await asyncio.sleep(0.2)
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
        sent: dict[str, float] = {}
        await place(client, 0, sent)
    deadline = time.monotonic() + 120
    while not all(order_id in sink.arrived for order_id in sent):
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up order's email never arrived")
        await asyncio.sleep(0.2)


def main(rate: float, seconds: float, runs: int, notify_only: bool = False) -> None:
    print(f"notify end-to-end benchmark · {machine()}")
    print(__doc__.split("\n\n")[1])
    with infrastructure() as infra, ArrivalSink() as sink, tempfile.TemporaryDirectory(prefix="notify-bench-") as logs_tmp:
        asyncio.run(ensure_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *(dlq_topic(s) for s in SERVICES)], partitions=DEFAULT_PARTITIONS))
        processes, urls = [], {}
        try:
            for name in NOTIFY_ONLY if notify_only else SERVICES:
                manifest = service_named(name)
                upgrade(manifest.migrations, infra.database_url, manifest.schema)
                port = free_port()
                processes.append(
                    spawn(
                        [sys.executable, "-m", "uvicorn", manifest.app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                        log_path=Path(os.environ.get("NOTIFY_BENCH_LOGS", logs_tmp)) / f"{name}.log",
                        env=service_env(infra, name, sink.port),
                    )
                )
                urls[name] = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(urls))
            p99s, rates = [], []
            results = asyncio.run(measure(infra, urls, sink, rate, seconds, runs, notify_only))
            for run, (p50, p99, achieved, post_ms) in enumerate(results, start=1):
                p99s.append(p99)
                rates.append(achieved)
                print(f"run {run}: {int(rate * seconds)} orders at {achieved:,.0f}/s   p50 {p50:,.0f} ms   p99 {p99:,.0f} ms   (POST median {post_ms:,.0f} ms)")
        finally:
            for process in processes:
                stop(process, timeout_s=15)
    name = "notify_only" if notify_only else "notify_e2e"
    print(f"p99 over runs: median {statistics.median(p99s):,.0f} ms, min {min(p99s):,.0f}, max {max(p99s):,.0f} (n={runs})")
    print(f"RESULT {name} p99_ms={statistics.median(p99s):.0f} rate={statistics.median(rates):.0f}/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--notify-only", action="store_true",
        help="publish order-svc's events (placed, confirmed) straight to Kafka: notify-svc's share of the latency alone",
    )
    args = parser.parse_args()
    main(args.rate, args.seconds, args.runs, args.notify_only)
