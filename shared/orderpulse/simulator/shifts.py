"""Posting labor shifts: the history's daily shifts in their turn of the pacer, and while live a
shift per warehouse every few minutes, each from where the last one ended."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

from orderpulse.simulator.api import FulfillmentApi
from orderpulse.simulator.clients import ApiError, parse_time
from orderpulse.simulator.labor import shift_body, staff_for
from orderpulse.simulator.pacer import Pacer
from orderpulse.simulator.tally import ShiftRecord, Tally, money, ms
from orderpulse.simulator.world import WAREHOUSES

LIVE_SHIFT_EVERY_S = 600


class ShiftClerk:
    def __init__(self, fulfillment: FulfillmentApi, pacer: Pacer, tally: Tally, run_tag: str) -> None:
        self.fulfillment, self.pacer, self.tally, self.run_tag = fulfillment, pacer, tally, run_tag

    async def post(self, warehouse: str, body: dict, ended: datetime) -> None:
        async with self.pacer.turn(ended):
            try:
                await self.fulfillment.record_shift(warehouse, body)
            except ApiError:
                return
        self.tally.shifts.append(ShiftRecord(warehouse, body["shift_id"], ms(parse_time(body["start"])),
                                             ms(parse_time(body["end"])), body["staff"], money(body["hourly_cost"])))
        self.tally.count("labor shifts")

    async def live(self, began: float, live_over: asyncio.Event, rate_per_s: float) -> None:
        """A shift per warehouse every LIVE_SHIFT_EVERY_S, each from where the last one ended, and a
        last one when the live phase is over."""
        number = 0
        while not live_over.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live_over.wait(), LIVE_SHIFT_EVERY_S)
            number += 1
            now = time.time()
            await self._post_live(began, now, "last" if live_over.is_set() else str(number), rate_per_s)
            began = now

    async def _post_live(self, began: float, ended: float, label: str, rate_per_s: float) -> None:
        if ended - began < 1:
            return
        start, end = datetime.fromtimestamp(began, UTC), datetime.fromtimestamp(ended, UTC)
        start = start.replace(microsecond=start.microsecond // 1000 * 1000)
        end = end.replace(microsecond=end.microsecond // 1000 * 1000)
        for warehouse in WAREHOUSES:
            body = shift_body(f"{self.run_tag}-{warehouse}-live-{label}", start, end,
                              staff_for(rate_per_s * 3600, warehouse), warehouse)
            await self.post(warehouse, body, end)
