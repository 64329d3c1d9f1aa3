"""Drill: `kill -9` of the embedded broker, then of PostgreSQL, during a simulated run.

`orderpulse up` starts each again and says so. The broker comes back empty (it keeps topics in
memory): the supervisor makes the topics again, every relay notices its records are gone and
republishes its retained outbox rows, consumers rejoin and deduplicate, kpi-svc resumes. PostgreSQL
comes back with its data (crash recovery). At the end nothing is lost and the figures agree.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psutil
import pytest
from e2e_drills import SimulatedRun, assert_nothing_lost, stack_up

pytestmark = pytest.mark.e2e


def wait_until_said(drilled, text: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in drilled.said:
        assert time.monotonic() < deadline, f"never said {text!r}:\n{drilled.said}"
        time.sleep(0.2)


def test_the_broker_and_postgres_killed_during_a_simulated_run_lose_nothing(tmp_path: Path):
    # durable, as `orderpulse up` is by default: the tests' fast setting (synchronous_commit=off) may
    # lose the last commits when PostgreSQL crashes, which is what that setting means
    with stack_up(tmp_path, ORDERPULSE_DURABLE_POSTGRES="true") as drilled:
        run = SimulatedRun(drilled, duration_s=40).start()
        time.sleep(10)
        psutil.Process(drilled.pid_of("tansu")).send_signal(signal.SIGKILL)
        wait_until_said(drilled, "Kafka: restarted")
        time.sleep(10)
        psutil.Process(drilled.pid_of("postgres")).send_signal(signal.SIGKILL)
        wait_until_said(drilled, "PostgreSQL: restarted")
        assert run.running, "the drill must happen during the run"
        outcome = run.finish()
        assert_nothing_lost(drilled, run, outcome)
