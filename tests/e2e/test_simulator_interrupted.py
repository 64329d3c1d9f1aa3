"""Ctrl-C at a random moment of a simulated run (history or live traffic): the summary's tally and
kpi-svc agree on every KPI they both know, whenever the user stops it. Two interruptions on one
stack, each at a moment drawn at random (printed, to replay a failure with the same seed). The
second run starts at once: the simulator itself waits for the stack to finish the first one's
backlog before it reads kpi-svc's figures (simulator/settling.py)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stack_process import interrupt, orderpulse, stack_env, wait_for

pytestmark = pytest.mark.e2e


def simulate_until_interrupted(stack_json: Path, env: dict, tmp_path: Path, *, seed: int, after_s: float) -> dict:
    report_path = tmp_path / f"run-{seed}.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "orderpulse.cli", "simulate", "--stack", str(stack_json), "--seed", str(seed),
         "--backfill", "1d", "--backfill-orders", "40", "--rate", "5/s", "--duration", "10m",
         "--report", str(report_path), "--progress-every", "5s"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    time.sleep(after_s)
    assert process.poll() is None, process.stdout.read()
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()  # never left behind, retrying against a stack the test is about to stop
        output, _ = process.communicate()
        raise AssertionError(f"`orderpulse simulate` did not sum up within 300 s of its Ctrl-C:\n{output}") from None
    assert process.returncode == 0, output
    report = json.loads(report_path.read_text())
    report["output"] = output
    return report


def test_a_run_stopped_at_random_moments_still_agrees_with_kpi_svc_on_every_kpi(tmp_path: Path):
    env = stack_env(tmp_path / "state")
    stack_json = tmp_path / "state" / "stack.json"
    up = orderpulse(["up"], env)
    draw = random.Random()
    try:
        wait_for(stack_json, up)
        for seed in (draw.randrange(1000), draw.randrange(1000)):
            after_s = round(draw.uniform(8, 60), 1)  # during history or live traffic (8-100 s before: the longest test of the suite)
            print(f"seed {seed}: Ctrl-C after {after_s} s")
            report = simulate_until_interrupted(stack_json, env, tmp_path, seed=seed, after_s=after_s)
            assert report["interrupted"], report["output"]
            assert report["kpis"], report["output"]
            differ = {kpi: row for kpi, row in report["kpis"].items() if not row["agree"]}
            assert differ == {}, f"seed {seed}, Ctrl-C after {after_s} s:\n{report['output']}"
    finally:
        code, output, _family = interrupt(up)
    assert code == 0, output
