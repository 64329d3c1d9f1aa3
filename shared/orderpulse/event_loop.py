"""The event loop each service runs on, and the loop for the processes that uvicorn does not start.

`SERVICE_LOOPS` is the one place that says which loop a service runs on: every launch path passes
it to uvicorn as `--loop` (the embedded stack's supervisor, docker-compose.yml, the images' command
line, the Kubernetes manifests; tests/deploy/test_event_loops.py holds them to it), and the
benchmarks measure a service on it by default. The choice was measured per service, both loops
alternated (docs/platform.md, "Each service's event loop"; docs/benchmarks.md, branch `loopchoice`).

`run` is the loop for the processes uvicorn does not start: uvloop where it is installed
(uvicorn[standard] brings it), asyncio's own otherwise.

Used by the simulator (one process sending every request of a run; uvloop does the loop's
selector calls and the transports' reads and writes in C: ~10 % less of the client's CPU a
request, docs/benchmarks.md `backfill3`) and by the benchmarks, which run service code in-process
(`bench/_harness.py`). Signals and cancellation behave as under `asyncio.run` (`asyncio.Runner`:
the first Ctrl-C cancels the main task)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

LOOPS = ("uvloop", "asyncio")  # uvicorn's `--loop` values this project uses

SERVICE_LOOPS: dict[str, str] = {
    "order-svc": "uvloop",
    "fulfillment-svc": "uvloop",
    "notify-svc": "uvloop",
    "feedback-svc": "uvloop",
    "kpi-svc": "uvloop",
}


def loop_of(service: str) -> str:
    """The loop `service` ("order-svc") runs on: one of LOOPS."""
    try:
        return SERVICE_LOOPS[service]
    except KeyError:
        raise KeyError(f"no event loop chosen for {service!r}: add it to orderpulse.event_loop.SERVICE_LOOPS") from None


def uvicorn_loop_options(service: str) -> list[str]:
    """uvicorn's command-line options that run `service` on its loop."""
    return ["--loop", loop_of(service)]


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # not installed: asyncio's own loop does the same work, slower
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
