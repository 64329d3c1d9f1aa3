"""What the end-to-end drills share: `orderpulse up` with its output collected, a simulated run in
a thread while faults are injected, the processes of the stack, and the final checks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from orderpulse.events.topics import ORDERS
from orderpulse.services import installed_services
from orderpulse.simulator.clients import Stack
from orderpulse.simulator.comparison import Outcome
from orderpulse.simulator.config import ErrorMix, SimulationConfig
from orderpulse.simulator.runner import simulate
from orderpulse.testing.kafka_probe import TopicProbe
from stack_process import alive, interrupt, orderpulse, stack_env, wait_for
from test_simulator import kpis_that_differ, statuses_that_differ, until_none


@dataclass
class DrilledStack:
    process: subprocess.Popen
    state: Path
    output: list[str] = field(default_factory=list)

    @property
    def stack_json(self) -> Path:
        return self.state / "stack.json"

    @property
    def stack(self) -> Stack:
        return Stack.load(self.stack_json)

    @property
    def said(self) -> str:
        return "".join(self.output)

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=False)

    def service_pids(self) -> dict[str, int]:
        apps = {manifest.app: manifest.name for manifest in installed_services()}
        found = {}
        for child in self.children():
            with contextlib.suppress(psutil.NoSuchProcess):
                command = child.cmdline()
                for app, name in apps.items():
                    if app in command and child.status() != psutil.STATUS_ZOMBIE:
                        found[name] = child.pid
        return found

    def pid_of(self, program: str) -> int:
        """The stack's child whose command line's first word ends with `program` (tansu, postgres)."""
        for child in self.children():
            with contextlib.suppress(psutil.NoSuchProcess):
                command = child.cmdline()
                if command and Path(command[0]).name.startswith(program) and child.status() != psutil.STATUS_ZOMBIE:
                    return child.pid
        raise AssertionError(f"no {program} process under `orderpulse up`")

    def ready(self, name: str) -> bool:
        try:
            return httpx.get(self.stack.services[name] + "/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False


@contextlib.contextmanager
def stack_up(tmp_path: Path, **env_overrides: str) -> Iterator[DrilledStack]:
    env = stack_env(tmp_path / "state")
    env.update(env_overrides)
    drilled = DrilledStack(orderpulse(["up"], env), tmp_path / "state")
    reader = threading.Thread(target=lambda: drilled.output.extend(iter(drilled.process.stdout.readline, "")),
                              daemon=True)
    try:
        wait_for(drilled.stack_json, drilled.process)
        reader.start()
        yield drilled
    finally:
        if drilled.process.poll() is None:
            code, rest, family = interrupt(drilled.process)
        else:  # it ended early: let the first failure (which holds its output) be the one reported
            code, rest, family = drilled.process.returncode, "", []
    assert code == 0, drilled.said + rest
    assert alive(family) == []


class SimulatedRun:
    """Live traffic in a thread: 3 orders/s for `duration_s`, a simulated day in 10 s, no returns
    (they come days after delivery), so every story ends within the drain."""

    def __init__(self, drilled: DrilledStack, *, duration_s: float = 40, seed: int = 11) -> None:
        self.config = SimulationConfig(stack_path=drilled.stack_json, seed=seed, rate_per_s=3.0, duration_s=duration_s,
                                       drain_s=180, live_speedup=8640, kpi_wait_s=0, progress_every_s=10,
                                       mix=ErrorMix(returns=0.0))
        self.stack = drilled.stack
        self.lines: list[str] = []
        self._outcome: list[Outcome] = []
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        self._outcome.append(asyncio.run(simulate(self.config, self.stack, self.lines.append, handle_signals=False)))

    def start(self) -> SimulatedRun:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def finish(self, timeout_s: float = 600) -> Outcome:
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "the simulation did not finish"
        assert self._outcome, "\n".join(self.lines)
        return self._outcome[0]

    @property
    def log(self) -> str:
        return "\n".join(self.lines)


def assert_nothing_lost(drilled: DrilledStack, run: SimulatedRun, outcome: Outcome) -> None:
    """Every story finished without an unintended error; order-svc, the orders topic and kpi-svc agree with it."""
    stack = drilled.stack
    assert outcome.traffic.unintended == [], run.log
    assert len(outcome.tally.orders) > 50, run.log
    assert outcome.tally.in_flight == 0, run.log  # (a story cut short has no expected status to compare)
    assert until_none(lambda: statuses_that_differ(stack, outcome), 120) == {}, run.log
    if stack.has("kpi-svc"):
        assert until_none(lambda: kpis_that_differ(stack, outcome), 180) == {}, run.log
    bootstrap = json.loads(drilled.stack_json.read_text())["kafka_bootstrap"]
    assert {record.order_id for record in outcome.tally.orders.values()} <= asyncio.run(placed_orders_on_topic(bootstrap))
    assert secrets_in_logs(drilled.state / "logs", stack) == []


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
        if log.name in ("broker.log",):
            continue
        for line in log.read_text(errors="replace").splitlines():
            if any(secret in line for secret in secrets) or private.search(line):
                found.append(f"{log.name}: {line[:200]}")
    return found
