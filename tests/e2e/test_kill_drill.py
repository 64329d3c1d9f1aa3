"""Drill: `kill -9` at random moments during a simulated run: 12 kills of random serving services,
and among them the embedded broker (5th) and PostgreSQL (9th).

`orderpulse up` starts each again with backoff and says so; the simulator retries what failed
meanwhile (every request it sends is safe to repeat). The broker comes back empty (it keeps topics
in memory): the supervisor makes the topics again, every relay notices its records are gone and
republishes its retained outbox rows, consumers rejoin and deduplicate. PostgreSQL recovers its
data. At the end every order the simulator placed reads back from order-svc with the status it
expects and has its order.placed on the topic, kpi-svc's numerators and denominators equal the
simulator's tally, and no service log line holds an API key, a signing secret, an e-mail address
or a phone number.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import psutil
import pytest
from e2e_drills import SimulatedRun, assert_nothing_lost, stack_up

pytestmark = [pytest.mark.e2e, pytest.mark.solo]

KILLS = 12
INFRASTRUCTURE = {5: ("tansu", "Kafka: restarted"), 9: ("postgres", "PostgreSQL: restarted")}


def wait_until_said(drilled, text: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in drilled.said:
        assert time.monotonic() < deadline, f"never said {text!r}:\n{drilled.said}"
        time.sleep(0.2)


def test_kill_9_of_services_the_broker_and_postgres_during_a_simulated_run_loses_nothing(tmp_path: Path):
    # durable, as `orderpulse up` is by default: the tests' fast setting (synchronous_commit=off)
    # may lose the last commits when PostgreSQL crashes, which is what that setting means
    with stack_up(tmp_path, ORDERPULSE_DURABLE_POSTGRES="true") as drilled:
        run = SimulatedRun(drilled).start()
        chance = random.Random(20261206)
        kills: list[str] = []
        time.sleep(3)
        while len(kills) < KILLS:
            assert run.running, "the run ended before the kills were done"
            time.sleep(chance.uniform(2.0, 5.0))
            if len(kills) + 1 in INFRASTRUCTURE:
                program, restarted = INFRASTRUCTURE[len(kills) + 1]
                psutil.Process(drilled.pid_of(program)).send_signal(signal.SIGKILL)
                kills.append(program)
                wait_until_said(drilled, restarted)
                continue
            # services that are serving: one still starting up is not the fault drilled here
            serving = {name: pid for name, pid in drilled.service_pids().items() if drilled.ready(name)}
            if serving:
                name = chance.choice(sorted(serving))
                psutil.Process(serving[name]).send_signal(signal.SIGKILL)
                kills.append(name)
        outcome = run.finish()
        services_killed = KILLS - len(INFRASTRUCTURE)
        assert drilled.said.count("exited with code -9; restarting in") >= services_killed, drilled.said
        assert drilled.said.count(" restarted (pid ") >= services_killed, drilled.said
        assert_nothing_lost(drilled, run, outcome)
