"""Restarting what died in the local stack, as Kubernetes or systemd would, and saying so.

`ServiceKeeper.check()` runs on every tick of the supervisor's loop: a service whose process
exited is started again (the same command line, a fresh environment from the stack) after a
delay that doubles with each quick death (1 s, 2 s, 4 s ... at most 30 s) and starts over once
it has run for 10 s (past its start-up: a service killed while serving is not crash-looping).
Processes that are not services (a helper such as a mail sink) are reported once and left to
the operator. `InfrastructureKeeper` does the same for the embedded PostgreSQL and broker.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orderpulse.messaging.kafka import ensure_topics
from orderpulse.services import installed_services, platform_topics
from orderpulse.stack.processes import spawn

if TYPE_CHECKING:
    from orderpulse.stack.supervisor import RunningStack

Say = Callable[[str], None]

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
HEALTHY_AFTER_S = 10.0


@dataclass
class _Backoff:
    started_at: float
    delay_s: float = FIRST_DELAY_S
    restart_at: float | None = None
    restarts: int = 0
    reported: bool = False


class ServiceKeeper:
    def __init__(self, stack: RunningStack, say: Say, *, clock: Callable[[], float] = time.monotonic,
                 respawn: Callable[[RunningStack, str, subprocess.Popen], subprocess.Popen] | None = None) -> None:
        self._stack = stack
        self._say = say
        self._clock = clock
        self._respawn = respawn or respawn_service
        self._services = {manifest.name for manifest in installed_services()}
        self._state = {name: _Backoff(started_at=clock()) for name in stack.processes}

    @property
    def restarts(self) -> dict[str, int]:
        return {name: state.restarts for name, state in self._state.items()}

    def check(self) -> None:
        now = self._clock()
        for name, process in list(self._stack.processes.items()):
            state = self._state.setdefault(name, _Backoff(started_at=now))
            if process.poll() is None:
                continue
            if name not in self._services:
                if not state.reported:
                    state.reported = True
                    self._say(f"{name} exited with code {process.returncode}; it is not restarted")
                continue
            if state.restart_at is None:
                if now - state.started_at > HEALTHY_AFTER_S:
                    state.delay_s = FIRST_DELAY_S
                state.restart_at = now + state.delay_s
                self._say(f"{name} exited with code {process.returncode}; restarting in {state.delay_s:.0f} s "
                          f"(restart {state.restarts + 1})")
            elif now >= state.restart_at:
                self._stack.processes[name] = self._respawn(self._stack, name, process)
                state.restarts += 1
                state.restart_at = None
                state.started_at = now
                state.delay_s = min(state.delay_s * 2, MAX_DELAY_S)
                self._say(f"{name} restarted (pid {self._stack.processes[name].pid})")


def respawn_service(stack: RunningStack, name: str, dead: subprocess.Popen) -> subprocess.Popen:
    """The dead process's own command line, with the environment the stack gives that service."""
    manifest = next(manifest for manifest in installed_services() if manifest.name == name)
    return spawn(list(dead.args), log_path=stack.settings.state_dir.resolve() / "logs" / f"{name}.log",
                 env=stack.service_env(manifest))


class InfrastructureKeeper:
    """The embedded PostgreSQL and broker, started again when they die. PostgreSQL keeps its data
    (crash recovery); the in-memory broker comes back empty: its topics are made again here and
    the services' relays republish their retained outbox rows."""

    def __init__(self, stack: RunningStack, say: Say, *, retry_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stack = stack
        self._say = say
        self._retry_s = retry_s
        self._clock = clock
        self._next_try = 0.0

    def check(self) -> None:
        if self._clock() < self._next_try:
            return
        try:
            self._keep("PostgreSQL", self._stack.postgres, self._after_nothing)
            self._keep("Kafka", self._stack.broker, self._make_topics)
        except Exception as error:  # try again shortly; the supervisor itself must not die
            self._next_try = self._clock() + self._retry_s
            self._say(f"could not restart the embedded infrastructure: {error}; retrying in {self._retry_s:.0f} s")

    def _keep(self, what: str, server, after: Callable[[], str]) -> None:
        if server is None or (server.process is not None and server.process.poll() is None):
            return  # not ours (external), or running
        if server.process is not None:
            self._say(f"{what}: the embedded server exited with code {server.process.returncode}; restarting it")
            server.process = None
        server.start()  # (process None: an earlier start failed; this is the retry)
        self._say(f"{what}: restarted{after()}")

    def _after_nothing(self) -> str:
        return ""

    def _make_topics(self) -> str:
        settings = self._stack.settings
        topics = platform_topics()
        created = asyncio.run(ensure_topics(self._stack.kafka_bootstrap, topics, partitions=settings.topic_partitions,
                                            replication=settings.topic_replication))
        return f" empty (in memory); {len(created)} topics made again, the relays republish what they kept"
