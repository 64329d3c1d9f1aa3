"""Drill: `kill -9` of random services at random moments during a simulated run (12 kills).

`orderpulse up` restarts each killed service with backoff and says so; the simulator retries what
failed meanwhile (every request it sends is safe to repeat). At the end every order the simulator
placed reads back from order-svc with the status it expects and has its order.placed on the
topic, kpi-svc's numerators and denominators equal the simulator's tally, and no service log
line holds an API key, a signing secret, an e-mail address or a phone number.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from orderpulse.events.topics import ORDERS
from orderpulse.services import installed_services
from orderpulse.simulator.clients import Stack
from orderpulse.simulator.config import ErrorMix, SimulationConfig
from orderpulse.simulator.runner import simulate
from orderpulse.testing.kafka_probe import TopicProbe
from stack_process import alive, interrupt, orderpulse, stack_env, wait_for
from test_simulator import kpis_that_differ, statuses_that_differ, until_none

pytestmark = pytest.mark.e2e

KILLS = 12


def service_pids(supervisor: psutil.Process) -> dict[str, int]:
    apps = {manifest.app: manifest.name for manifest in installed_services()}
    found = {}
    for child in supervisor.children(recursive=False):
        try:
            command = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        for app, name in apps.items():
            if app in command and child.status() != psutil.STATUS_ZOMBIE:
                found[name] = child.pid
    return found


async def placed_orders_on_topic(bootstrap: str) -> set[str]:
    async with TopicProbe(bootstrap, [ORDERS], from_beginning=True) as probe:
        await probe.settle(2.0)
    return {event["data"]["order_id"] for event in probe.events(".order.placed.v1")}


def secrets_in_logs(logs: Path, stack: Stack) -> list[str]:
    """Lines of any service log holding an API key, a signing secret, an e-mail address or a phone number."""
    secrets = [*stack.api_keys.values(), *stack.signing_secrets.values()]
    private = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\+\d[\d ]{8,}")
    found = []
    for log in logs.glob("*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if any(secret in line for secret in secrets) or private.search(line):
                found.append(f"{log.name}: {line[:200]}")
    return found


def ready(stack: Stack, name: str) -> bool:
    """Kill services that are serving (a service still starting up is not the fault drilled here)."""
    try:
        return httpx.get(stack.services[name] + "/readyz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def test_kill_9_of_random_services_during_a_simulated_run_loses_nothing(tmp_path: Path):
    env = stack_env(tmp_path / "state")
    process = orderpulse(["up"], env)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(process.stdout.readline, "")), daemon=True)
    try:
        stack_json = tmp_path / "state" / "stack.json"
        wait_for(stack_json, process)
        reader.start()
        stack = Stack.load(stack_json)
        config = SimulationConfig(stack_path=stack_json, seed=11, rate_per_s=3.0, duration_s=40, drain_s=180,
                                  live_speedup=8640,  # a day in 10 s: every story ends within the drain
                                  kpi_wait_s=0, progress_every_s=10,
                                  mix=ErrorMix(returns=0.0))  # returns come days (minutes here) after delivery
        lines: list[str] = []
        outcome_box: dict = {}
        runner = threading.Thread(target=lambda: outcome_box.update(outcome=asyncio.run(
            simulate(config, stack, lines.append, handle_signals=False))))
        runner.start()

        chance = random.Random(20261206)
        supervisor = psutil.Process(process.pid)
        kills: list[str] = []
        time.sleep(3)
        while len(kills) < KILLS:
            assert runner.is_alive() or len(kills) >= KILLS, "the run ended before the kills were done"
            time.sleep(chance.uniform(2.0, 5.0))
            running = {name: pid for name, pid in service_pids(supervisor).items() if ready(stack, name)}
            if not running:
                continue
            name = chance.choice(sorted(running))
            psutil.Process(running[name]).send_signal(signal.SIGKILL)
            kills.append(name)
        runner.join(timeout=600)
        assert not runner.is_alive(), "the simulation did not finish"
        outcome = outcome_box["outcome"]
        log = "\n".join(lines)

        said = "".join(output)
        assert said.count("exited with code -9; restarting in") >= KILLS, said
        assert said.count(" restarted (pid ") >= KILLS, said
        assert outcome.traffic.unintended == [], log
        assert len(outcome.tally.orders) > 50, log
        assert outcome.tally.in_flight == 0, log  # (a story cut short has no expected status to compare)
        assert until_none(lambda: statuses_that_differ(stack, outcome), 120) == {}, log
        if stack.has("kpi-svc"):
            assert until_none(lambda: kpis_that_differ(stack, outcome), 180) == {}, log
        placed_on_topic = asyncio.run(placed_orders_on_topic(json.loads(stack_json.read_text())["kafka_bootstrap"]))
        assert {record.order_id for record in outcome.tally.orders.values()} <= placed_on_topic
        assert secrets_in_logs(tmp_path / "state" / "logs", stack) == []
    finally:
        if process.poll() is None:
            code, rest, family = interrupt(process)
        else:  # it ended early: let the first failure (which holds its output) be the one reported
            code, rest, family = process.returncode, "", []
    assert code == 0, "".join(output) + rest
    assert alive(family) == []
