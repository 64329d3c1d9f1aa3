"""The backfill of `backfill_bench.py`, two stacks side by side: one started from another commit's
services (`--base`, e.g. main), one from HEAD (services/ must be committed), then runs alternating between them on
the same machine at the same time, so both see the same load.

    .venv/bin/python bench/backfill_ab.py --base main [--orders 300] [--pairs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from _harness import machine  # noqa: E402
from backfill_bench import BAR_ORDERS, BAR_SECONDS, _run  # noqa: E402
from stack_process import interrupt, orderpulse, stack_env, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="commit whose services/ the first stack runs")
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    if subprocess.run(["git", "status", "--porcelain", "--", "services"], cwd=ROOT, capture_output=True,
                      text=True, check=True).stdout.strip():
        raise SystemExit("services/ has uncommitted changes: commit them first (the base stack checks out --base)")
    print(__doc__.split("\n\n")[0])
    print(f"machine: {machine()} · load average {os.getloadavg()[0]:.1f} at start")
    rates: dict[str, list[float]] = {"base": [], "work tree": []}
    with tempfile.TemporaryDirectory(prefix="orderpulse-backfill-base-") as base_dir, \
            tempfile.TemporaryDirectory(prefix="orderpulse-backfill-tree-") as tree_dir:
        stacks = {}
        try:
            subprocess.run(["git", "checkout", args.base, "--", "services"], cwd=ROOT, check=True)
            try:
                stacks["base"] = _start(Path(base_dir))
            finally:  # the services have loaded their code: the work tree gets its own back
                subprocess.run(["git", "checkout", "HEAD", "--", "services"], cwd=ROOT, check=True)
            stacks["work tree"] = _start(Path(tree_dir))
            for pair in range(1, args.pairs + 1):
                for name, (env, folder, up) in stacks.items():
                    print(f"[{name}] ", end="", flush=True)
                    rates[name].append(_run(env, folder, args.orders, pair, up, None))
        finally:
            for _env, _folder, up in stacks.values():
                interrupt(up, timeout_s=90)
    baseline = BAR_ORDERS / BAR_SECONDS
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name}: median {median:.1f} orders/s, min {min(values):.1f}, max {max(values):.1f} (n={len(values)})")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    median = statistics.median(rates["work tree"])
    print(f"RESULT backfill value={median:.1f}/s baseline={baseline:.0f}/s ratio={median / baseline:.3f}")


def _start(folder: Path) -> tuple[dict[str, str], Path, subprocess.Popen]:
    env = stack_env(folder / "state")
    up = orderpulse(["up"], env)
    wait_for(folder / "state" / "stack.json", up)
    return env, folder, up


if __name__ == "__main__":
    main()
