"""Steps take turns in event-time order with bounded concurrency, and never before their time."""

from __future__ import annotations

import asyncio
import time

import pytest
from orderpulse.simulator.pacer import Pacer


async def test_steps_in_the_past_go_in_event_time_order_whatever_order_they_asked_in():
    pacer = Pacer(slots=1)
    went: list[float] = []
    gate = asyncio.Event()

    async def step(when: float) -> None:
        async with pacer.turn(when):
            went.append(when)
            await gate.wait()

    first = asyncio.create_task(step(0.0))  # takes the only slot
    await asyncio.sleep(0)
    later = [asyncio.create_task(step(when)) for when in (50.0, 10.0, 30.0, 20.0)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *later)
    assert went == [0.0, 10.0, 20.0, 30.0, 50.0]


async def test_no_more_steps_run_at_once_than_there_are_slots():
    pacer = Pacer(slots=3)
    running, most = 0, 0

    async def step(when: float) -> None:
        nonlocal running, most
        async with pacer.turn(when):
            running += 1
            most = max(most, running)
            await asyncio.sleep(0)
            running -= 1

    await asyncio.gather(*(step(float(n)) for n in range(20)))
    assert most == 3 and pacer.busy == 0


async def test_a_step_in_the_future_waits_for_its_time():
    pacer = Pacer(slots=4)
    due = time.time() + 0.05
    async with pacer.turn(due):
        assert time.time() >= due


async def test_a_cancelled_waiter_gives_up_its_place_and_a_cancelled_holder_its_slot():
    pacer = Pacer(slots=1)
    gate = asyncio.Event()

    async def hold() -> None:
        async with pacer.turn(0.0):
            await gate.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    holder.cancel()
    await asyncio.gather(holder, waiter, return_exceptions=True)
    assert pacer.busy == 0 and pacer.waiting == 0
    async with pacer.turn(0.0):
        assert pacer.busy == 1


def test_a_pacer_needs_a_slot():
    with pytest.raises(ValueError):
        Pacer(slots=0)


async def test_on_hold_no_new_turn_starts_and_idle_waits_for_those_under_way():
    pacer = Pacer(slots=2)
    gate = asyncio.Event()
    went: list[float] = []

    async def step(when: float) -> None:
        async with pacer.turn(when):
            went.append(when)
            await gate.wait()

    under_way = asyncio.create_task(step(1.0))
    await asyncio.sleep(0)
    pacer.hold()
    waiting = asyncio.create_task(step(2.0))
    await asyncio.sleep(0)
    idle = asyncio.create_task(pacer.idle())
    await asyncio.sleep(0)
    assert not idle.done()
    gate.set()
    await asyncio.wait_for(idle, 1)
    assert went == [1.0] and not waiting.done()
    waiting.cancel()
    await asyncio.gather(under_way, waiting, return_exceptions=True)
