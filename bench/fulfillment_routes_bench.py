"""fulfillment-svc's warehouse and carrier routes (pack, dispatch, carrier scan batches) against a bare FastAPI + asyncpg INSERT endpoint, same run.

Method: embedded PostgreSQL + Tansu; fulfillment-svc's migrations; fulfillment-svc under uvicorn
(one worker, its outbox relay and consumer running, as `orderpulse up` runs it); beside it
`bench/_bare_insert_app.py` under uvicorn (one worker: FastAPI, one asyncpg INSERT of the body per
request). Work is prepared through the service's real inputs: stock of 200 skus counted with
`PUT /v1/warehouses/wh-1/stock/{sku}`, then `--orders` `order.confirmed.v1` events (two lines
each) published on the orders topic, which the service's consumer turns into fulfillments with
reserved stock (the bench waits until all exist). Three measured phases follow, each on work items
no run has used: `pack` (one fulfillment per request, all its lines, a packing slip and an invoice
with its total, an Idempotency-Key), `dispatch` (one packed shipment per request, a fresh tracking
number, no eta, an Idempotency-Key) and `scans` (a signed batch of `--batch` carrier scans of
dispatched shipments: every shipment's in_transit, then out_for_delivery, then delivered).
Between phases, what the next phase needs and the measured runs left undone is done through the
same API, unmeasured. `wrk -t1 -c<connections> -d<seconds>s` replays a prepared list of requests
(`bench/request_list.lua`; carrier batches signed just before their run); runs alternate
baseline / fulfillment-svc, the baseline given the same requests. Printed per run: rate, p50,
p99, non-2xx, each server's CPU per request (from /proc) and PostgreSQL's (embedded: its server and backends); then medians and spread; ratio =
median fulfillment-svc rate / median baseline rate. `--profile out.json` (or .svg) runs
`py-spy record` on fulfillment-svc during one more run of each phase (`--native`: C frames).

    .venv/bin/python bench/fulfillment_routes_bench.py [--runs 5] [--seconds 8] [--connections 16] [--orders 6000] [--batch 10] [--phases pack,dispatch,scans] [--profile out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import _http_load as http_load
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
from _http_load import BARE_APP, REQUEST_LIST_LUA, UVICORN, cpu_seconds, describe, median_of, run_line
from orderpulse.db.migrations import upgrade
from orderpulse.events import ORDERS, new_envelope
from orderpulse.events.topics import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic
from orderpulse.http.signatures import signed_headers
from orderpulse.messaging.kafka import create_producer, ensure_topics
from orderpulse.services import service_named
from orderpulse.settings import PlatformSettings
from orderpulse.stack.processes import free_port, spawn, stop
from orderpulse.testing.database import plain_dsn

WAREHOUSE = "wh-1"
CARRIER = "benchpost"
SKUS = {f"BENCH-{n:03d}": Decimal(5 + n % 40) + Decimal("0.90") for n in range(200)}
KEYS = {"warehouse": f"bench-key-warehouse-{uuid.uuid4().hex}", f"carrier:{CARRIER}": f"bench-key-carrier-{uuid.uuid4().hex}"}
SECRET = f"bench-secret-{uuid.uuid4().hex}"
SCAN_STATUSES = ("in_transit", "out_for_delivery", "delivered")
PHASES = ("pack", "dispatch", "scans")
BASELINE_REQUESTS = {"pack": 40_000, "dispatch": 40_000, "scans": 25_000}  # more than the bare endpoint answers in a run

Request = tuple[str, str, dict[str, str], Any]


def fulfillment_svc_env(infra) -> dict[str, str]:
    return service_env(infra, "fulfillment-svc", api_keys=orjson.dumps(KEYS).decode(),
                       signing_secrets=orjson.dumps({f"carrier:{CARRIER}": SECRET}).decode(),
                       default_warehouse_id=WAREHOUSE)


def _warehouse(key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {KEYS['warehouse']}", "Content-Type": "application/json"}
    return headers | ({"Idempotency-Key": key} if key else {})


# --- the work -------------------------------------------------------------------------------


class Work:
    """The prepared work items and how far each phase has used them."""

    def __init__(self, orders: int, batch: int) -> None:
        picker = random.Random(14)
        self.lines: dict[str, list[tuple[str, int]]] = {}
        for n in range(orders):
            first, second = picker.sample(sorted(SKUS), 2)
            self.lines[f"bench-ord-{n:06d}"] = [(first, picker.randint(1, 3)), (second, 1)]
        self.batch = batch
        self.fulfillments: list[tuple[str, str]] = []  # (fulfillment_id, order_id) not packed yet
        self.shipments: list[str] = []  # packed, not dispatched
        self.scans: list[tuple[str, str]] = []  # (tracking number, status) not sent yet
        self.dispatched: list[str] = []  # tracking numbers of shipments dispatched

    def requests(self, phase: str, label: str) -> Iterator[Request]:
        """Every request the phase could still send, in order, each naming work no run has used."""
        if phase == "pack":
            for fulfillment_id, order_id in self.fulfillments:
                yield "POST", f"/v1/fulfillments/{fulfillment_id}/pack", _warehouse(f"{label}-{fulfillment_id}"), self._pack_body(order_id)
        elif phase == "dispatch":
            for shipment in self.shipments:
                fulfillment_id, shipment_id = shipment.split(" ")
                body = {"shipment_id": shipment_id, "carrier": CARRIER, "tracking_number": _tracking(shipment_id)}
                yield "POST", f"/v1/fulfillments/{fulfillment_id}/dispatch", _warehouse(f"{label}-{shipment_id}"), body
        else:
            now = time.time()
            for start in range(0, len(self.scans), self.batch):
                events = [_scan(tracking, status, now) for tracking, status in self.scans[start:start + self.batch]]
                raw = orjson.dumps({"events": events})
                headers = {"Authorization": f"Bearer {KEYS[f'carrier:{CARRIER}']}", "Content-Type": "application/json",
                           **signed_headers(SECRET, raw, int(now))}
                yield "POST", f"/v1/carriers/{CARRIER}/events", headers, raw

    def remaining(self, phase: str) -> int:
        """How many requests the phase could still send."""
        if phase == "scans":
            return -(-len(self.scans) // self.batch)
        return len(self.fulfillments if phase == "pack" else self.shipments)

    def used(self, phase: str, requests: int) -> None:
        """The first `requests` of the phase's requests were sent: those items are spent."""
        if phase == "pack":
            del self.fulfillments[:requests]
        elif phase == "dispatch":
            del self.shipments[:requests]
        else:
            del self.scans[: requests * self.batch]

    def _pack_body(self, order_id: str) -> dict[str, Any]:
        lines = [{"sku": sku, "quantity": quantity} for sku, quantity in self.lines[order_id]]
        total = sum(SKUS[sku] * quantity for sku, quantity in self.lines[order_id])
        return {
            "lines": lines,
            "documents": [
                {"kind": "packing_slip", "ref": f"PS-{order_id}", "lines": lines},
                {"kind": "invoice", "ref": f"INV-{order_id}", "lines": lines, "total": str(total)},
            ],
        }


def _tracking(shipment_id: str) -> str:
    return "TRK" + shipment_id.removeprefix("shp_").upper()


def _scan(tracking: str, status: str, now: float) -> dict[str, Any]:
    scan = {
        "event_id": f"{tracking}-{status}",
        "tracking_number": tracking,
        "status": status,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "location": "Hub Berlin",
    }
    return scan | ({"condition": "intact"} if status == "delivered" else {})


# --- preparing ------------------------------------------------------------------------------


async def count_stock(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        for sku in SKUS:
            answer = await client.put(f"/v1/warehouses/{WAREHOUSE}/stock/{sku}", json={"on_hand": 100_000_000}, headers=_warehouse())
            answer.raise_for_status()


async def confirm_orders(infra, work: Work) -> None:
    """`order.confirmed.v1` for every order, as order-svc publishes it."""
    producer = create_producer(PlatformSettings(kafka_bootstrap=infra.kafka_bootstrap, service_name="bench"))
    await producer.start()
    try:
        promised = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 5 * 86400))
        sent = []
        for order_id, lines in work.lines.items():
            data = {
                "order_id": order_id,
                "lines": [{"line_id": f"{order_id}-l{n}", "sku": sku, "quantity": quantity, "unit_price": str(SKUS[sku])}
                          for n, (sku, quantity) in enumerate(lines, start=1)],
                "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
                "service_level": "standard",
                "promised_by": promised,
            }
            envelope = new_envelope(type="order.confirmed.v1", source="/order-svc", key=order_id, data=data)
            sent.append(await producer.send(ORDERS, key=order_id.encode(), value=envelope.to_json()))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def fulfillments_opened(dsn: str, schema: str, expected: int, timeout_s: float = 600) -> list[tuple[str, str]]:
    deadline = time.monotonic() + timeout_s
    connection = await asyncpg.connect(dsn)
    try:
        while True:
            rows = await connection.fetch(f"SELECT fulfillment_id, order_id FROM {schema}.fulfillments ORDER BY order_id")
            if len(rows) >= expected:
                return [(row["fulfillment_id"], row["order_id"]) for row in rows]
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(rows)} of {expected} fulfillments opened")
            await asyncio.sleep(1.0)
    finally:
        await connection.close()


async def shipments_in(dsn: str, schema: str, status: str) -> list[str]:
    """`<fulfillment_id> <shipment_id>` of every shipment in `status`."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            f"SELECT fulfillment_id, shipment_id FROM {schema}.shipments WHERE status = $1 ORDER BY shipment_id", status
        )
        return [f"{row['fulfillment_id']} {row['shipment_id']}" for row in rows]
    finally:
        await connection.close()


async def finish(url: str, work: Work, phase: str, connections: int) -> None:
    """Unmeasured: what the phase's runs left undone, through the API (the next phase needs it)."""
    pending = list(work.requests(phase, f"prep-{uuid.uuid4().hex[:6]}"))
    started = time.monotonic()
    failed = await send_all(url, pending, connections)
    work.used(phase, len(pending))
    print(f"(unmeasured: {phase} of the {len(pending):,} items left in {time.monotonic() - started:.0f} s, {failed} not 2xx)")


async def send_all(url: str, requests: list[Request], connections: int) -> int:
    """Unmeasured: the requests through the API, `connections` at a time; how many were not 2xx."""
    queue = iter(requests)
    failures = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        for method, target, headers, body in queue:
            content = body if isinstance(body, bytes) else orjson.dumps(body)
            answer = await client.request(method, target, headers=headers, content=content)
            failures += answer.status_code >= 300

    async with httpx.AsyncClient(base_url=url, timeout=60.0) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    return failures


# --- measuring ------------------------------------------------------------------------------


def measure(
    phase: str, work: Work, service: str, bare: str, pids: tuple[int, int], *, runs: int, seconds: float,
    connections: int, warmup_s: float, scratch: Path, profile: Path | None, native: bool, database_pid: int | None,
) -> dict[str, list[dict[str, float]]]:
    def run(name: str, url: str, label: str, pid: int | None, duration: float = seconds, share: int = 1) -> dict[str, float]:
        """A run on at most 1/`share` of the phase's work left, so every later run has some. A run
        that uses its share up idles to the end (wrk divides by the whole duration): its rate is a
        lower bound, flagged `capped` and counted in the RESULT line; its CPU per request stands."""
        if not work.remaining(phase):
            raise SystemExit(f"{phase}: no work left for {label}; pass more --orders")
        listing = scratch / f"{phase}-{label}.tsv"
        if name == "baseline":  # it uses up nothing: the phase's requests again and again, keys made unique per lap
            laps = (work.requests(phase, f"{label}-{lap}") for lap in itertools.count())
            requests = itertools.islice(itertools.chain.from_iterable(laps), BASELINE_REQUESTS[phase])
        else:
            requests = itertools.islice(work.requests(phase, label), max(1, work.remaining(phase) // share))
        count = http_load.write_request_list(listing, requests)
        figures = http_load.wrk(
            REQUEST_LIST_LUA, url, duration, connections, {"BENCH_REQUESTS": str(listing)}, pid, database_pid if pid else None
        )
        if figures["exhausted"]:
            print(f"WARNING: {phase} {label} ran out of its {count} prepared requests: its rate is capped (more --orders)")
        if name == "fulfillment":
            work.used(phase, int(figures["issued"]))
        return figures

    run("baseline", bare, f"warmup-bare-{uuid.uuid4().hex[:6]}", None, warmup_s)
    run("fulfillment", service, f"warmup-{uuid.uuid4().hex[:6]}", None, warmup_s, share=runs + 2)
    measured: dict[str, list[dict[str, float]]] = {"baseline": [], "fulfillment": []}
    for number in range(1, runs + 1):
        for name, url, pid in (("baseline", bare, pids[1]), ("fulfillment", service, pids[0])):
            figures = run(name, url, f"{name}-{number}-{uuid.uuid4().hex[:6]}", pid, share=runs + 2 - number)
            measured[name].append(figures)
            print(f"{phase:<8} " + run_line(number, name, figures))
    if profile is not None:
        out = profile.with_name(f"{profile.stem}-{phase}{profile.suffix}")
        http_load.profiled(pids[0], seconds, out, lambda: run("fulfillment", service, f"profiled-{uuid.uuid4().hex[:6]}", None, share=1), native)
    return measured


def report(phase: str, measured: dict[str, list[dict[str, float]]], batch: int) -> str:
    for name in ("baseline", "fulfillment"):
        print(f"{phase:<8} " + describe(name, measured[name]))
    failures = sum(run["non2xx"] + run["errors"] for run in measured["fulfillment"])
    if failures:
        print(f"WARNING: fulfillment-svc answered {failures:.0f} {phase} requests with non-2xx or socket errors")
    value, baseline = median_of(measured["fulfillment"], "rate"), median_of(measured["baseline"], "rate")
    p99 = median_of(measured["fulfillment"], "p99_ms")
    cpu = median_of(measured["fulfillment"], "cpu_ms")
    per = f" ({cpu / batch:.3f} ms per scan, {value * batch:,.0f} scans/s)" if phase == "scans" else ""
    print(f"{phase:<8} fulfillment-svc CPU {cpu:.2f} ms per request{per} · baseline {median_of(measured['baseline'], 'cpu_ms'):.2f} ms")
    name = {"pack": "fulfillment_pack", "dispatch": "fulfillment_dispatch", "scans": "fulfillment_carrier_scans"}[phase]
    capped = sum(1 for run in measured["fulfillment"] if run["exhausted"])
    capped_baseline = sum(1 for run in measured["baseline"] if run["exhausted"])
    flags = (f" capped_runs={capped}" if capped else "") + (f" capped_baseline_runs={capped_baseline}" if capped_baseline else "")
    return (
        f"RESULT {name} value={value:.0f}/s baseline={baseline:.0f}/s ratio={value / baseline:.3f} p99_ms={p99:.1f} "
        f"cpu_ms={cpu:.2f}{flags}"
    )


def main(args: argparse.Namespace) -> None:
    args.loop = resolve_loop(args.loop, "fulfillment-svc")
    if args.profile is not None:
        http_load.py_spy()  # before the runs, not after them
    http_load.wrk_binary()
    phases = [phase for phase in args.phases.split(",") if phase]
    if unknown := set(phases) - set(PHASES):
        raise SystemExit(f"unknown phases {sorted(unknown)}: choose from {', '.join(PHASES)}")
    print(f"fulfillment routes benchmark · {machine()} · load average {os.getloadavg()[0]:.1f} · on {args.loop}")
    print(__doc__.split("\n\n")[1])
    results: list[str] = []
    work = Work(args.orders, args.batch)
    with infrastructure() as infra, tempfile.TemporaryDirectory(prefix="fulfillment-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        asyncio.run(ensure_topics(infra.kafka_bootstrap, [*ALL_TOPICS, dlq_topic("fulfillment-svc")], partitions=DEFAULT_PARTITIONS))
        manifest = service_named("fulfillment-svc")
        upgrade(manifest.migrations, infra.database_url, manifest.schema)
        dsn = plain_dsn(infra.database_url)
        service_port, bare_port = free_port(), free_port()
        log_dir = Path(os.environ.get("FULFILLMENT_BENCH_LOGS", scratch_dir))
        processes = [
            spawn([*UVICORN, *uvicorn_loop(args.loop), "--port", str(service_port), manifest.app], log_path=log_dir / "fulfillment-svc.log", env=fulfillment_svc_env(infra)),
            spawn([*UVICORN, *uvicorn_loop(args.loop), "--port", str(bare_port), *BARE_APP], log_path=log_dir / "bare.log", env=dict(os.environ, BENCH_DATABASE_URL=dsn)),
        ]
        service, bare = f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{bare_port}"
        pids = (processes[0].pid, processes[1].pid)
        try:
            asyncio.run(wait_ready({"fulfillment-svc": service, "baseline": bare}))
            started = time.monotonic()
            asyncio.run(count_stock(service))
            asyncio.run(confirm_orders(infra, work))
            work.fulfillments = asyncio.run(fulfillments_opened(dsn, manifest.schema, args.orders))
            print(f"prepared {len(work.fulfillments):,} fulfillments with reserved stock in {time.monotonic() - started:.0f} s "
                  f"(order.confirmed.v1 through the service's consumer) · fulfillment-svc pid {pids[0]} · baseline pid {pids[1]}")
            idle_before = cpu_seconds(pids[0])
            time.sleep(3.0)
            print(f"fulfillment-svc idle: {(cpu_seconds(pids[0]) - idle_before) / 3.0:.0%} of a core (relay, consumer)")
            options = dict(runs=args.runs, seconds=args.seconds, connections=args.connections, warmup_s=args.warmup,
                           scratch=scratch, profile=args.profile, native=args.native,
                           database_pid=http_load.postgres_pid(infra.database_url) if infra.choice.database == "embedded" else None)
            for phase in PHASES:
                if phase == "dispatch" or (phase == "scans" and "dispatch" not in phases):
                    asyncio.run(finish(service, work, "pack", args.connections))
                    work.shipments = asyncio.run(shipments_in(dsn, manifest.schema, "packed"))
                if phase == "scans":
                    asyncio.run(finish(service, work, "dispatch", args.connections))
                    dispatched = asyncio.run(shipments_in(dsn, manifest.schema, "dispatched"))
                    work.scans = [(_tracking(s.split(" ")[1]), status) for status in SCAN_STATUSES for s in dispatched]
                    print(f"({len(work.scans):,} scans of {len(dispatched):,} dispatched shipments to send)")
                if phase in phases:
                    measured = measure(phase, work, service, bare, pids, **options)
                    results.append(report(phase, measured, args.batch))
        finally:
            for process in processes:
                stop(process, timeout_s=15)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    for line in results:
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--orders", type=int, default=6_000, help="confirmed orders prepared (work for every phase)")
    parser.add_argument("--batch", type=int, default=10, help="carrier scans per batch request")
    parser.add_argument("--phases", default=",".join(PHASES), help="which phases are measured (the others still prepare)")
    parser.add_argument("--profile", type=Path, help="py-spy fulfillment-svc during one more run of each phase (file name gets -<phase>)")
    parser.add_argument("--native", action="store_true", help="with --profile: sample C frames too (py-spy --native)")
    add_service_loop_option(parser)
    main(parser.parse_args())
