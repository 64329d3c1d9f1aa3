"""The stack supervisor's restart policy: a dead service comes back after 1 s, 2 s, 4 s ... (reset
once it ran 10 s), and says so; a process that is not a service is reported once."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from orderpulse.stack.restarts import ServiceKeeper

_pids = count(100)


class FakeProcess:
    def __init__(self) -> None:
        self.pid = next(_pids)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def kill(self) -> None:
        self.returncode = -9


@dataclass
class FakeStack:
    processes: dict = field(default_factory=dict)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keeper_for(*names: str):
    stack, clock, said = FakeStack({name: FakeProcess() for name in names}), Clock(), []
    keeper = ServiceKeeper(stack, said.append, clock=clock, respawn=lambda _stack, _name, _dead: FakeProcess())
    return keeper, stack, clock, said


def test_a_killed_service_is_restarted_after_a_delay_that_doubles_while_it_keeps_dying():
    keeper, stack, clock, said = keeper_for("order-svc")
    delays = []
    for _ in range(4):
        clock.now += 2  # dies again soon after its restart
        stack.processes["order-svc"].kill()
        keeper.check()
        died_at, first = clock.now, stack.processes["order-svc"]
        while stack.processes["order-svc"] is first:
            clock.now += 0.25
            keeper.check()
        delays.append(clock.now - died_at)
    assert delays == [1.0, 2.0, 4.0, 8.0]
    assert keeper.restarts["order-svc"] == 4
    assert said[0] == "order-svc exited with code -9; restarting in 1 s (restart 1)"
    assert said[1].startswith("order-svc restarted (pid ")


def test_after_ten_healthy_seconds_the_delay_starts_over():
    keeper, stack, clock, _said = keeper_for("kpi-svc")
    for _ in range(3):
        stack.processes["kpi-svc"].kill()
        keeper.check()
        clock.now += 5
        keeper.check()
    clock.now += 11
    stack.processes["kpi-svc"].kill()
    keeper.check()
    first = stack.processes["kpi-svc"]
    clock.now += 1.0
    keeper.check()
    assert stack.processes["kpi-svc"] is not first


def test_a_process_that_is_not_a_service_is_reported_once_and_left_alone():
    keeper, stack, _clock, said = keeper_for("mailbox")
    stack.processes["mailbox"].kill()
    for _ in range(5):
        keeper.check()
    assert said == ["mailbox exited with code -9; it is not restarted"]


class FakeServer:
    def __init__(self, fail_starts: int = 0) -> None:
        self.process: FakeProcess | None = FakeProcess()
        self.fail_starts = fail_starts
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        if self.starts <= self.fail_starts:
            raise TimeoutError("PostgreSQL did not accept connections")
        self.process = FakeProcess()


@dataclass
class FakeInfraStack:
    postgres: FakeServer | None = None
    broker: FakeServer | None = None


def test_embedded_postgres_that_died_is_started_again_and_a_failed_start_is_retried_later():
    from orderpulse.stack.restarts import InfrastructureKeeper

    clock, said = Clock(), []
    stack = FakeInfraStack(postgres=FakeServer(fail_starts=1))
    keeper = InfrastructureKeeper(stack, said.append, retry_s=2.0, clock=clock)
    keeper.check()
    assert stack.postgres.starts == 0  # alive: nothing to do
    stack.postgres.process.kill()
    keeper.check()
    assert stack.postgres.starts == 1 and stack.postgres.process is None
    assert said[-1].startswith("could not restart the embedded infrastructure: PostgreSQL did not accept")
    clock.now += 1.0
    keeper.check()
    assert stack.postgres.starts == 1  # waits out the retry delay
    clock.now += 1.5
    keeper.check()
    assert stack.postgres.starts == 2 and stack.postgres.process.poll() is None
    assert said[-1] == "PostgreSQL: restarted"
