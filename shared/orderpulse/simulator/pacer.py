"""Event-time pacing: story steps take turns in the order of their event time, at most `slots`
at once, and none before its time has come on the wall clock.

A replayed history (every step in the past) therefore runs as fast as the services answer,
roughly in the order it happened, with bounded concurrency; live steps (in the future) wait for
their moment. One mechanism for both, so the backfill and the live phase behave alike.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime


class Pacer:
    def __init__(self, slots: int, clock: Callable[[], float] = time.time) -> None:
        if slots < 1:
            raise ValueError("a pacer needs at least one slot")
        self.slots = slots
        self._free = slots
        self._clock = clock
        self._heap: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due: float | None = None
        self.behind_s = 0.0  # how late the last step started after its time (live: are we keeping up?)
        self._holding = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def busy(self) -> int:
        return self.slots - self._free

    @property
    def waiting(self) -> int:
        return sum(1 for _due, _n, future in self._heap if not future.done())

    @asynccontextmanager
    async def turn(self, when: datetime | float) -> AsyncIterator[None]:
        """Hold a slot from `when` (or as soon as one frees up after it) until the block ends."""
        due = when.timestamp() if isinstance(when, datetime) else float(when)
        await self._acquire(due)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, due: float) -> None:
        granted = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (due, next(self._order), granted))
        self._dispatch()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # the slot was ours already: give it back
            else:
                granted.cancel()
            raise

    def _release(self) -> None:
        self._free += 1
        if self._free == self.slots:
            self._idle.set()
        self._dispatch()

    def hold(self) -> None:
        """Grant no more turns (those waiting keep waiting); steps under way go on."""
        self._holding = True

    async def idle(self) -> None:
        """Until no step is under way."""
        await self._idle.wait()

    def _dispatch(self) -> None:
        now = self._clock()
        heap = self._heap
        while heap and self._free > 0 and not self._holding:
            due, _n, granted = heap[0]
            if granted.done():
                heapq.heappop(heap)
                continue
            if due > now:
                self._wake_at(due)
                return
            heapq.heappop(heap)
            self._free -= 1
            self._idle.clear()
            self.behind_s = max(0.0, now - due)
            granted.set_result(None)

    def _wake_at(self, due: float) -> None:
        if self._timer is not None and self._timer_due is not None and self._timer_due <= due:
            return
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer_due = due
        self._timer = loop.call_later(max(0.0, due - self._clock()) + 0.001, self._on_timer)

    def _on_timer(self) -> None:
        self._timer, self._timer_due = None, None
        self._dispatch()
