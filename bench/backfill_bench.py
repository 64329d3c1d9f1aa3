"""A 30-day backfill through the whole system (quality.md: 300,000 orders in under 15 minutes).

Method: `orderpulse up` in a private state folder on free ports (all five services, the mail
sink, embedded PostgreSQL and Tansu, fast PostgreSQL setting), then per run
`orderpulse simulate --backfill 30d --backfill-orders N --duration 0 --kpi-wait 600s` with its
own seed and run tag: the simulator plans N orders over 30 days and replays every story's steps
in event-time order against the APIs (32 requests in flight), then waits until kpi-svc's
figures agree with its tally. Time = that command's wall time, so an order counts once every
service has taken it in and kpi-svc has counted it. Printed per run: orders/s and whether the
KPIs agreed; the RESULT line gives the median.

Each run also prints the CPU per order of every process (`_stack_cpu.StackCpu`: each service,
the broker, the simulator, PostgreSQL's backends by the service they serve, ended ones included)
and the PostgreSQL sessions opened; with `--idle-seconds N` the idle stack's CPU a second first,
and each run's CPU per order beyond what the idle stack spends in as long (consumers' empty
fetches, heartbeats, relays and due work cost by the second, not by the order).

The baseline in the RESULT line is the bar's own rate (300,000 orders in 15 min = 333/s), not a
same-run measurement: nothing simpler does the same work end to end. Each run adds to the same
stack, so later runs replay onto a fuller database (as a second month would).

    .venv/bin/python bench/backfill_bench.py [--orders 300] [--runs 5] [--idle-seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import orjson
from orderpulse.testing.database import plain_dsn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from _harness import machine  # noqa: E402
from _stack_cpu import StackCpu  # noqa: E402
from stack_process import interrupt, orderpulse, stack_env, wait_for  # noqa: E402

BAR_ORDERS, BAR_SECONDS = 300_000, 15 * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300, help="orders per backfill run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=None, help="the simulator's steps in flight (its default: 32)")
    parser.add_argument("--idle-seconds", type=float, default=0.0,
                        help="first measure the idle stack's CPU for this long (after 10 s to settle), and "
                             "print each run's CPU per order beyond what the stack spends idle in as long")
    args = parser.parse_args()
    print(__doc__.split("\n\n")[1])
    print(f"machine: {machine()} · load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="orderpulse-backfill-") as folder:
        env = stack_env(Path(folder) / "state")
        print("starting the stack (orderpulse up) ...", flush=True)
        up = orderpulse(["up"], env)
        try:
            wait_for(Path(folder) / "state" / "stack.json", up)
            idle = _idle_rates(up, args.idle_seconds) if args.idle_seconds > 0 else None
            rates = [_run(env, Path(folder), args.orders, run, up, args.concurrency, idle)
                     for run in range(1, args.runs + 1)]
        finally:
            interrupt(up, timeout_s=90)
    median = statistics.median(rates)
    baseline = BAR_ORDERS / BAR_SECONDS
    print(f"backfill: median {median:.1f} orders/s, min {min(rates):.1f}, max {max(rates):.1f} (n={len(rates)}); "
          f"300,000 orders would take {BAR_ORDERS / median / 60:.0f} min (bar: 15 min)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print(f"RESULT backfill value={median:.1f}/s baseline={baseline:.0f}/s ratio={median / baseline:.3f}")


def _idle_rates(up: subprocess.Popen, seconds: float) -> dict[str, float]:
    """CPU seconds per second of each process of the idle stack (its polling: consumers' fetches,
    heartbeats, relays, due work), which a run pays for its whole length whatever its orders."""
    time.sleep(10.0)
    sampler = StackCpu(up.pid)
    sampler.start()
    time.sleep(seconds)
    rates = {name: spent / seconds for name, spent in sampler.stop().items()}
    print(f"idle stack over {seconds:.0f} s: {sum(rates.values()) * 1000:.0f} ms of CPU a second (" + ", ".join(
        f"{name} {rate * 1000:.1f}" for name, rate in sorted(rates.items(), key=lambda item: -item[1]) if rate >= 0.0005)
          + ")", flush=True)
    return rates


def _sessions(folder: Path) -> int:
    """PostgreSQL sessions opened so far in the stack's database (this reading's own included)."""
    url = orjson.loads((folder / "state" / "stack.json").read_bytes())["database_url"]

    async def read() -> int:
        connection = await asyncpg.connect(plain_dsn(url))
        try:
            return await connection.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        finally:
            await connection.close()

    return asyncio.run(read())


def _run(env: dict[str, str], folder: Path, orders: int, run: int, up: subprocess.Popen,
         concurrency: int | None, idle: dict[str, float] | None) -> float:
    command = [sys.executable, "-m", "orderpulse.cli", "simulate", "--stack", str(folder / "state" / "stack.json"),
               "--backfill", "30d", "--backfill-orders", str(orders), "--duration", "0", "--kpi-wait", "600s",
               "--seed", str(run), "--run-tag", f"bf{run}{int(time.time()) % 100000}", "--progress-every", "30s"]
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    sessions_before = _sessions(folder)
    stack_cpu, simulator_before = StackCpu(up.pid), _children_cpu_s()
    stack_cpu.start()
    started = time.perf_counter()
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    cpu = stack_cpu.stop()
    cpu["simulator"] = _children_cpu_s() - simulator_before
    sessions = _sessions(folder) - sessions_before - 1
    if finished.returncode != 0:
        print(finished.stdout[-3000:], finished.stderr[-3000:], sep="\n")
        raise SystemExit(f"run {run}: `orderpulse simulate` exited with {finished.returncode}")
    agreed = "DIFFER" not in finished.stdout
    rate = orders / elapsed
    print(f"run {run}: {orders} orders in {elapsed:.1f} s = {rate:.1f} orders/s; KPIs "
          f"{'agreed' if agreed else 'DIFFERED (see the summary below)'}", flush=True)
    print("  CPU per order by process (ms): " + ", ".join(
        f"{name} {seconds * 1000 / orders:.1f}" for name, seconds in sorted(cpu.items(), key=lambda item: -item[1])) +
          f"; all {sum(cpu.values()) * 1000 / orders:.1f} ms = {sum(cpu.values()) / elapsed:.2f} cores over the run"
          f" (PostgreSQL in all {sum(v for k, v in cpu.items() if k.startswith('postgres')) * 1000 / orders:.1f})"
          f"; {sessions} PostgreSQL sessions opened", flush=True)
    if idle is not None:
        beyond = {name: seconds - idle.get(name, 0.0) * elapsed for name, seconds in cpu.items()}
        print("  beyond the idle stack's CPU in as long (ms per order): " + ", ".join(
            f"{name} {seconds * 1000 / orders:.1f}" for name, seconds in sorted(beyond.items(), key=lambda item: -item[1]))
              + f"; all {sum(beyond.values()) * 1000 / orders:.1f}", flush=True)
    if not agreed:
        print(finished.stdout[-4000:])
    return rate


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
