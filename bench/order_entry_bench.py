"""Order entry: `POST /v1/orders` against a bare FastAPI + asyncpg INSERT endpoint, same run (quality.md: ≥ 50 %, p99 < 50 ms).

Method: embedded PostgreSQL + Tansu; order-svc's migrations; order-svc under uvicorn (one
worker, its outbox relay and consumers running, as `orderpulse up` runs it) with 64 customers
and 4 catalog items seeded; beside it `bench/_bare_insert_app.py` under uvicorn (one worker):
FastAPI, one asyncpg INSERT of the body per request into the same PostgreSQL. `wrk` drives each
in turn with `bench/order_entry.lua` (a unique Idempotency-Key per request, customers and skus
varied, two lines per order), `wrk -t1 -c16 -d<seconds>s`, after a short warm-up; runs alternate
baseline / order-svc so load from other work on the machine hits both alike. Printed per run:
rate, p50, p99, non-2xx, and each server's CPU time per request (from /proc) and, with the embedded PostgreSQL,
PostgreSQL's (its server and backends: the same database serves both); then the median
of the runs and the spread. ratio = median order-svc rate / median baseline rate. `--profile
out.json` (or .svg, or .txt for collapsed stacks) runs `py-spy record` on order-svc during one more run (`--native`: with its C frames).

    .venv/bin/python bench/order_entry_bench.py [--runs 5] [--seconds 10] [--connections 16] [--profile out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import _http_load as http_load
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
from _http_load import BARE_APP, UVICORN, cpu_seconds, describe, run_line
from orderpulse.db.migrations import upgrade
from orderpulse.events.topics import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic
from orderpulse.messaging.kafka import ensure_topics
from orderpulse.services import service_named
from orderpulse.stack.processes import free_port, spawn, stop
from orderpulse.testing.database import plain_dsn

HERE = Path(__file__).resolve().parent
LUA = HERE / "order_entry.lua"
KEYS = {role: f"bench-key-{role}-{uuid.uuid4().hex[:8]}" for role in ("storefront", "admin", "support")}
CUSTOMERS = 64
CATALOG = {"BENCH-MUG": "12.50", "BENCH-CAP": "9.90", "BENCH-TEE": "19.00", "BENCH-PEN": "1.25"}


def order_svc_env(infra) -> dict[str, str]:
    return service_env(infra, "order-svc", api_keys=orjson.dumps(KEYS).decode())


async def seed(url: str) -> None:
    """64 customers, the catalog, and one order that must come back 201 and confirmed."""
    admin = {"Authorization": f"Bearer {KEYS['admin']}"}
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        for sku, price in CATALOG.items():
            body = {"name": sku.title(), "unit_price": price, "currency": "EUR", "max_quantity": 10}
            (await client.put(f"/v1/catalog/{sku}", json=body, headers=admin)).raise_for_status()
        for n in range(CUSTOMERS):
            body = {"tier": "standard", "name": f"Customer {n}", "email": f"c{n}@example.com", "phone": "+491510000000"}
            (await client.put(f"/v1/customers/bench-cus-{n}", json=body, headers=admin)).raise_for_status()
        order = {
            "customer_id": "bench-cus-1", "channel": "web", "service_level": "standard",
            "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115", "line1": "Street 1"},
            "lines": [{"sku": "BENCH-MUG", "quantity": 2, "unit_price": "12.50"}, {"sku": "BENCH-CAP", "quantity": 1, "unit_price": "9.90"}],
        }
        headers = {"Authorization": f"Bearer {KEYS['storefront']}", "Idempotency-Key": uuid.uuid4().hex}
        answer = await client.post("/v1/orders", json=order, headers=headers)
        if answer.status_code != 201 or answer.json()["status"] != "confirmed":
            raise RuntimeError(f"the seed order was not confirmed: {answer.status_code} {answer.text[:300]}")


def wrk(
    url: str, seconds: float, connections: int, label: str, pid: int | None = None, database_pid: int | None = None
) -> dict[str, float]:
    env = {"BENCH_API_KEY": KEYS["storefront"], "BENCH_CUSTOMERS": str(CUSTOMERS), "BENCH_RUN": f"{label}-{uuid.uuid4().hex[:8]}"}
    return http_load.wrk(LUA, url, seconds, connections, env, pid, database_pid)


def main(
    runs: int, seconds: float, connections: int, warmup_s: float, profile: Path | None = None, native: bool = False,
    loop: str | None = None,
) -> None:
    loop = resolve_loop(loop, "order-svc")
    if profile is not None:
        http_load.py_spy()  # before the runs, not after them
    http_load.wrk_binary()
    print(f"order entry benchmark · {machine()} · order-svc and the baseline on {loop}")
    print(__doc__.split("\n\n")[1])
    with infrastructure() as infra, tempfile.TemporaryDirectory(prefix="order-entry-bench-") as logs:
        asyncio.run(ensure_topics(infra.kafka_bootstrap, [*ALL_TOPICS, dlq_topic("order-svc")], partitions=DEFAULT_PARTITIONS))
        manifest = service_named("order-svc")
        upgrade(manifest.migrations, infra.database_url, manifest.schema)
        service_port, bare_port = free_port(), free_port()
        log_dir = Path(os.environ.get("ORDER_ENTRY_BENCH_LOGS", logs))
        processes = [
            spawn([*UVICORN, *uvicorn_loop(loop), "--port", str(service_port), manifest.app], log_path=log_dir / "order-svc.log", env=order_svc_env(infra)),
            spawn(
                [*UVICORN, *uvicorn_loop(loop), "--port", str(bare_port), *BARE_APP],
                log_path=log_dir / "bare.log",
                env=dict(os.environ, BENCH_DATABASE_URL=plain_dsn(infra.database_url)),
            ),
        ]
        service, bare = f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{bare_port}"
        try:
            asyncio.run(wait_ready({"order-svc": service, "baseline": bare}))
            asyncio.run(seed(service))
            print(f"order-svc pid {processes[0].pid} at {service} · baseline pid {processes[1].pid} at {bare}")
            idle_before = cpu_seconds(processes[0].pid)
            time.sleep(3.0)
            print(f"order-svc idle: {(cpu_seconds(processes[0].pid) - idle_before) / 3.0:.0%} of a core (relay, consumer)")
            wrk(bare, warmup_s, connections, "warmup-bare")
            wrk(service, warmup_s, connections, "warmup-svc")
            database = http_load.postgres_pid(infra.database_url) if infra.choice.database == "embedded" else None
            measured: dict[str, list[dict[str, float]]] = {"baseline": [], "order-svc": []}
            for run in range(1, runs + 1):
                for name, url, pid in (("baseline", bare, processes[1].pid), ("order-svc", service, processes[0].pid)):
                    figures = wrk(url, seconds, connections, f"{name}-{run}", pid, database)
                    measured[name].append(figures)
                    print(run_line(run, name, figures))
            if profile is not None:
                http_load.profiled(
                    processes[0].pid, seconds, profile, lambda: wrk(service, seconds, connections, "profiled"), native
                )
        finally:
            for process in processes:
                stop(process, timeout_s=15)
    for name in ("baseline", "order-svc"):
        print(describe(name, measured[name]))
    failures = sum(run["non2xx"] + run["errors"] for run in measured["order-svc"])
    if failures:
        print(f"WARNING: order-svc answered {failures:.0f} requests with non-2xx or socket errors")
    value = statistics.median(run["rate"] for run in measured["order-svc"])
    baseline = statistics.median(run["rate"] for run in measured["baseline"])
    p99 = statistics.median(run["p99_ms"] for run in measured["order-svc"])
    baseline_p99 = statistics.median(run["p99_ms"] for run in measured["baseline"])
    print(f"p99 order-svc {p99:.1f} ms (bar < 50 ms) · baseline {baseline_p99:.1f} ms")
    print(f"RESULT order_entry value={value:.0f}/s baseline={baseline:.0f}/s ratio={value / baseline:.3f} p99_ms={p99:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--profile", type=Path, help="after the runs, py-spy order-svc during one more run into this file")
    parser.add_argument("--native", action="store_true", help="with --profile: sample C frames too (py-spy --native)")
    add_service_loop_option(parser)
    args = parser.parse_args()
    main(args.runs, args.seconds, args.connections, args.warmup, args.profile, args.native, args.loop)
