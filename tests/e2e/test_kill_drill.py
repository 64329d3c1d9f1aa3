"""Drill: `kill -9` of random services at random moments during a simulated run (12 kills).

`orderpulse up` restarts each killed service with backoff and says so; the simulator retries what
failed meanwhile (every request it sends is safe to repeat). At the end every order the simulator
placed reads back from order-svc with the status it expects and has its order.placed on the
topic, kpi-svc's numerators and denominators equal the simulator's tally, and no service log
line holds an API key, a signing secret, an e-mail address or a phone number.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import psutil
import pytest
from e2e_drills import SimulatedRun, assert_nothing_lost, stack_up

pytestmark = pytest.mark.e2e

KILLS = 12


def test_kill_9_of_random_services_during_a_simulated_run_loses_nothing(tmp_path: Path):
    with stack_up(tmp_path) as drilled:
        run = SimulatedRun(drilled).start()
        chance = random.Random(20261206)
        kills: list[str] = []
        time.sleep(3)
        while len(kills) < KILLS:
            assert run.running, "the run ended before the kills were done"
            time.sleep(chance.uniform(2.0, 5.0))
            # services that are serving: one still starting up is not the fault drilled here
            serving = {name: pid for name, pid in drilled.service_pids().items() if drilled.ready(name)}
            if serving:
                name = chance.choice(sorted(serving))
                psutil.Process(serving[name]).send_signal(signal.SIGKILL)
                kills.append(name)
        outcome = run.finish()
        assert drilled.said.count("exited with code -9; restarting in") >= KILLS, drilled.said
        assert drilled.said.count(" restarted (pid ") >= KILLS, drilled.said
        assert_nothing_lost(drilled, run, outcome)
