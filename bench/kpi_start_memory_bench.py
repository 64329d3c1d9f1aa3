"""kpi-svc's resident set at start-up, before its first event (quality.md's memory bar: 100 MB
+ 1 KB per open order, the whole resident set counted; the start is most of it).

Method: embedded PostgreSQL + Tansu, kpi-svc's schema migrated and its topics made, empty. Each
run starts kpi-svc as `orderpulse up` does (its own uvicorn process, a new consumer group), waits
for /readyz 200 (partitions restored, the stream running, database and broker reachable), waits
`--settle` seconds more and reads the process's RSS ("started"); then a fresh interpreter imports
`kpi_svc.main` alone (settings read, app built, start-up heap frozen; no event loop, no clients)
and reports its RSS ("imported") and the SQLAlchemy modules it loaded. Each `--tree` is a source
tree (its shared/ and services' src/ on PYTHONPATH, the same virtualenv); given two or more, the
runs alternate between them, so an A/B shares one rotation; the first is the baseline.

    .venv/bin/python bench/kpi_start_memory_bench.py [--runs 3] [--settle 5] [--tree BASE --tree HEAD]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
from _harness import infrastructure, machine, prepare_kpi_svc, service_env, wait_ready
from orderpulse.services import service_named
from orderpulse.stack.processes import free_port, spawn, stop

KPI = "kpi-svc"
HERE = Path(__file__).resolve().parents[1]
SOURCES = ("shared", "services/order-svc/src", "services/fulfillment-svc/src", "services/kpi-svc/src",
           "services/notify-svc/src", "services/feedback-svc/src")
PROBE = """
import os, sys
import kpi_svc.main
rss = int(open(f"/proc/{os.getpid()}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
print(rss, sum(1 for name in sys.modules if name.split(".")[0] == "sqlalchemy"), kpi_svc.main.__file__)
"""


def python_path(tree: Path) -> str:
    return os.pathsep.join(str(tree / source) for source in SOURCES)


def started_rss(infra, tree: Path, topic_prefix: str, settle_s: float, logs: Path) -> float:
    """MB resident in a kpi-svc process started from `tree`, once ready and `settle_s` later."""
    env = service_env(infra, KPI, idempotence=infra.kafka_enable_idempotence, topic_prefix=topic_prefix,
                      consumer_group=f"kpi-start-{uuid.uuid4().hex[:8]}")
    env["PYTHONPATH"] = python_path(tree)
    port = free_port()
    process = spawn([sys.executable, "-m", "uvicorn", service_named(KPI).app, "--host", "127.0.0.1", "--port", str(port),
                     "--no-access-log", "--timeout-graceful-shutdown", "10"], log_path=logs / "kpi-svc.log", env=env)
    try:
        asyncio.run(wait_ready({KPI: f"http://127.0.0.1:{port}"}))
        time.sleep(settle_s)
        return psutil.Process(process.pid).memory_info().rss / 2**20
    finally:
        stop(process, timeout_s=15)


def imported(tree: Path) -> tuple[float, int, str]:
    """MB resident after `import kpi_svc.main` from `tree` in a fresh interpreter, SQLAlchemy modules loaded, the file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERPULSE_")}
    env["PYTHONPATH"] = python_path(tree)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    rss, sqlalchemy_modules, file = done.stdout.split()
    return int(rss) / 2**20, int(sqlalchemy_modules), file


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):6.1f} MB  min {min(values):6.1f}  max {max(values):6.1f}  (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per tree")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after ready before the RSS is read")
    parser.add_argument("--tree", action="append", type=Path, help="a source tree (repeat for an A/B); default this one")
    args = parser.parse_args()
    trees = [tree.resolve() for tree in (args.tree or [HERE])]
    print(f"kpi-svc start-up memory · {machine()} · load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(__doc__.split("\n\n")[1])
    started: dict[Path, list[float]] = {tree: [] for tree in trees}
    imports: dict[Path, list[float]] = {tree: [] for tree in trees}
    modules: dict[Path, int] = {}
    topic_prefix = f"start{uuid.uuid4().hex[:6]}."
    with infrastructure() as infra, tempfile.TemporaryDirectory(prefix="kpi-start-") as logs:
        prepare_kpi_svc(infra, topic_prefix)
        for run in range(args.runs):
            for tree in trees:
                rss = started_rss(infra, tree, topic_prefix, args.settle, Path(logs))
                imported_mb, modules[tree], file = imported(tree)
                started[tree].append(rss)
                imports[tree].append(imported_mb)
                print(f"run {run + 1} {tree}: started {rss:.1f} MB, imported {imported_mb:.1f} MB, "
                      f"{modules[tree]} SQLAlchemy modules ({file})", flush=True)
    for tree in trees:
        print(f"{str(tree):<40} started  {spread(started[tree])}")
        print(f"{'':<40} imported {spread(imports[tree])}   SQLAlchemy modules {modules[tree]}")
    print(f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    base, head = trees[0], trees[-1]
    head_mb, base_mb = statistics.median(started[head]), statistics.median(started[base])
    print(f"RESULT kpi_start_memory rss_mb={head_mb:.1f} baseline_rss_mb={base_mb:.1f} ratio={head_mb / base_mb:.3f} "
          f"imported_mb={statistics.median(imports[head]):.1f} sqlalchemy_modules={modules[head]} bar_ratio={head_mb / 100:.3f}")


if __name__ == "__main__":
    main()
