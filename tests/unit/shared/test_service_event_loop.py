"""The simulator and the benchmarks run on uvloop where it is installed (it is: uvicorn[standard] brings it), and
gives back what the simulation returned, as `asyncio.run` did."""

from __future__ import annotations

import asyncio

import uvloop
from orderpulse.event_loop import run


def test_the_simulation_runs_on_uvloop_and_its_outcome_comes_back():
    async def simulation() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run(simulation()) == uvloop.Loop.__module__
