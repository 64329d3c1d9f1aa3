"""The event loop the services run on, for the processes that uvicorn does not start: uvloop where it
is installed (uvicorn[standard] brings it, and uvicorn's `--loop auto` runs the services on it),
asyncio's own otherwise.

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


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # not installed: asyncio's own loop does the same work, slower
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
