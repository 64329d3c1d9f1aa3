"""kpi-svc's memory during a soak (quality.md: kpi-svc's memory stays flat during a 30-minute soak).

Method: `orderpulse up` in a private state folder on free ports (all five services, the mail sink,
embedded PostgreSQL and Tansu), then `orderpulse simulate --rate R --duration D` as live traffic.
The simulator runs each story 2,880 times faster than real time (a day in 30 s), so 30 minutes
carry about 60 days of event time: orders open, settle and leave memory, windows roll, tombstones
expire. The resident set (RSS) of kpi-svc's process and the orders it holds in memory
(`orderpulse_kpi_open_orders` on its /metrics) are sampled every few seconds. The first
`--warmup` minutes are left out (the stream, its caches and the allocator settle); growth is the
slope of a least-squares line through the rest, in MB per 10 minutes, and the ratio compares the
median of the last third of the samples with the median of the first third (1.00 = flat). The
bar at each sample is 100 MB + 1 KB per open order (the whole resident set is counted).

    .venv/bin/python bench/kpi_soak_bench.py [--minutes 30] [--rate 20/s] [--warmup 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from _harness import machine  # noqa: E402
from stack_process import interrupt, orderpulse, stack_env, wait_for  # noqa: E402

KPI_APP = "kpi_svc.main:app"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the live traffic")
    parser.add_argument("--rate", default="20/s", help="live orders per second")
    parser.add_argument("--warmup", type=float, default=5.0, help="minutes left out at the start")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    args = parser.parse_args()
    print(__doc__.split("\n\n")[1])
    print(f"machine: {machine()} · load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="orderpulse-soak-") as folder:
        state = Path(folder) / "state"
        env = stack_env(state)
        print("starting the stack (orderpulse up) ...", flush=True)
        up = orderpulse(["up"], env)
        try:
            wait_for(state / "stack.json", up)
            kpi = _kpi_process(up.pid)
            samples = _soak(kpi, env, state, args)
        finally:
            interrupt(up, timeout_s=90)
    _report(samples, args.warmup)


def _kpi_process(supervisor_pid: int) -> psutil.Process:
    for child in psutil.Process(supervisor_pid).children(recursive=True):
        if KPI_APP in " ".join(child.cmdline()):
            return child
    raise SystemExit("kpi-svc's process not found under `orderpulse up`")


def _open_orders(kpi_url: str) -> int:
    for line in httpx.get(kpi_url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("orderpulse_kpi_open_orders "):
            return int(float(line.split()[1]))
    raise SystemExit("kpi-svc exports no orderpulse_kpi_open_orders")


def _soak(kpi: psutil.Process, env: dict[str, str], state: Path, args) -> list[tuple[float, float, float, int]]:
    """(minutes since the traffic started, kpi-svc's RSS in MB, load average, open orders) every `args.every` s."""
    kpi_url = orjson.loads((state / "stack.json").read_bytes())["services"]["kpi-svc"]
    command = [sys.executable, "-m", "orderpulse.cli", "simulate", "--stack", str(state / "stack.json"),
               "--rate", args.rate, "--duration", f"{int(args.minutes * 60)}s", "--drain", "0s",
               "--kpi-wait", "0s", "--progress-every", "60s"]
    log = open(state / "simulate.log", "w")  # noqa: SIM115 - the simulator writes to it while we sample
    simulator = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    samples = []
    next_print = 0.0
    try:
        while simulator.poll() is None:
            minutes = (time.monotonic() - started) / 60
            rss_mb = kpi.memory_info().rss / 1e6
            held = _open_orders(kpi_url)
            samples.append((minutes, rss_mb, os.getloadavg()[0], held))
            if minutes >= next_print:
                print(f"  {minutes:5.1f} min: kpi-svc RSS {rss_mb:6.1f} MB, {held} open orders (bar "
                      f"{100 + held / 1000:.0f} MB), load average {os.getloadavg()[0]:.1f}", flush=True)
                next_print += 2.0
            time.sleep(args.every)
    finally:
        if simulator.poll() is None:
            simulator.terminate()
        simulator.wait(60)
        log.close()
    print("simulator's last lines:\n" + "\n".join((state / "simulate.log").read_text().splitlines()[-6:]))
    return samples


def _report(samples: list[tuple[float, float, float, int]], warmup: float) -> None:
    kept = [(minutes, rss) for minutes, rss, _load, _held in samples if minutes >= warmup]
    if len(kept) < 6:
        raise SystemExit(f"only {len(kept)} samples after the warm-up: run longer")
    xs, ys = [m for m, _ in kept], [r for _, r in kept]
    slope = statistics.linear_regression(xs, ys).slope  # MB per minute
    third = len(ys) // 3
    first, last = statistics.median(ys[:third]), statistics.median(ys[-third:])
    loads = [load for _m, _r, load, _h in samples]
    worst = max((rss / (100 + held / 1000), rss, held) for minutes, rss, _load, held in samples if minutes >= warmup)
    print(f"kpi-svc RSS after the {warmup:g}-minute warm-up: first third median {first:.1f} MB, last third "
          f"median {last:.1f} MB, peak {max(ys):.1f} MB; least-squares growth {slope * 10:+.2f} MB per 10 min "
          f"over {xs[-1] - xs[0]:.1f} min ({len(kept)} samples); load average {min(loads):.1f}-{max(loads):.1f}")
    print(f"against 100 MB + 1 KB per open order: worst {worst[1]:.1f} MB with {worst[2]} open orders = "
          f"{worst[0]:.0%} of the bar")
    print(f"RESULT kpi_soak growth_mb_per_10min={slope * 10:.2f} rss_first_mb={first:.1f} rss_last_mb={last:.1f} "
          f"peak_mb={max(ys):.1f} ratio={last / first:.3f} bar_ratio={worst[0]:.3f}")


if __name__ == "__main__":
    main()
