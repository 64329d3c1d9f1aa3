"""Restarting a service of the local stack that died, with backoff, as Kubernetes or systemd would.

`ServiceKeeper.check()` runs on every tick of the supervisor's loop: a service whose process
exited is started again after a delay that doubles with each quick death (1 s, 2 s, 4 s ... at
most 30 s) and starts over once it has run for a minute. Every death and restart is said aloud.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from collections.abc import Callable

from orderpulse.services import ServiceManifest, installed_services
from orderpulse.stack.processes import spawn

if TYPE_CHECKING:
    from orderpulse.stack.settings import StackSettings
    from orderpulse.stack.supervisor import RunningStack

Say = Callable[[str], None]

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
HEALTHY_AFTER_S = 60.0


def service_argv(settings: StackSettings, manifest: ServiceManifest, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", manifest.app, "--host", settings.host, "--port", str(port),
            "--no-access-log", "--timeout-graceful-shutdown", "10"]


def spawn_service(stack: RunningStack, manifest: ServiceManifest, port: int):
    return spawn(service_argv(stack.settings, manifest, port),
                 log_path=stack.settings.state_dir.resolve() / "logs" / f"{manifest.name}.log",
                 env=stack.service_env(manifest))


@dataclass
class _Backoff:
    delay_s: float = FIRST_DELAY_S
    restart_at: float | None = None
    started_at: float = field(default_factory=time.monotonic)
    restarts: int = 0


class ServiceKeeper:
    def __init__(self, stack: RunningStack, say: Say, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._stack = stack
        self._say = say
        self._clock = clock
        self._manifests = {manifest.name: manifest for manifest in installed_services()}
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
            if state.restart_at is None:
                if now - state.started_at > HEALTHY_AFTER_S:
                    state.delay_s = FIRST_DELAY_S
                state.restart_at = now + state.delay_s
                self._say(f"{name} exited with code {process.returncode}; restarting in {state.delay_s:.0f} s "
                          f"(restart {state.restarts + 1})")
                continue
            if now >= state.restart_at:
                self._restart(name, state, now)

    def _restart(self, name: str, state: _Backoff, now: float) -> None:
        manifest = self._manifests[name]
        port = int(self._stack.services[name].rsplit(":", 1)[1])
        self._stack.processes[name] = spawn_service(self._stack, manifest, port)
        state.restarts += 1
        state.restart_at = None
        state.started_at = now
        state.delay_s = min(state.delay_s * 2, MAX_DELAY_S)
        self._say(f"{name} restarted (pid {self._stack.processes[name].pid})")
