"""The warehouses' stockroom: stock counts and restocks, and the work queue pickers read."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

from orderpulse.simulator.api import FulfillmentApi
from orderpulse.simulator.world import CATALOG, NORMAL_STOCK, WAREHOUSES


class StockKeeper:
    """Counts stock in: every sku plentiful, except scarce ones (available kept at zero until a
    restock). One restock of a sku at a time, so a count is never based on a stale read."""

    def __init__(self, api: FulfillmentApi) -> None:
        self.api = api
        self._locks: dict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    async def set_up(self) -> None:
        """Plenty of every sku; none available of the scarce ones. Backorders left by an earlier
        run (its stories cut short) are filled first, or they would take this run's restocks."""
        for warehouse in WAREHOUSES:
            levels = await self.api.stock(warehouse)
            for item in CATALOG:
                if item.warehouse != warehouse:
                    continue
                reserved = levels.get(item.sku, {}).get("reserved", 0)
                counted = await self.api.set_stock(warehouse, item.sku, NORMAL_STOCK + reserved)
                if item.scarce:
                    await self.api.set_stock(warehouse, item.sku, counted["reserved"])

    async def restock(self, warehouse: str, sku: str, units: int) -> dict:
        """`units` more on the shelf; they go to the oldest backorders of the sku first."""
        async with self._locks[(warehouse, sku)]:
            levels = await self.api.stock(warehouse)
            on_hand = levels.get(sku, {}).get("on_hand", 0)
            return await self.api.set_stock(warehouse, sku, on_hand + units)


class WorkQueue:
    """The pickers' screen: fulfillments waiting to be picked (`status=open`), read a few pages at
    a time while some story waits for its order to show up there."""

    def __init__(self, api: FulfillmentApi, *, poll_s: float = 0.3, max_pages: int = 5) -> None:
        self.api = api
        self.poll_s = poll_s
        self.max_pages = max_pages
        self._waiting: dict[str, asyncio.Future] = {}
        self._poller: asyncio.Task | None = None
        self.reads = 0

    async def opened(self, order_id: str, timeout_s: float = 5.0) -> dict | None:
        """The order's open fulfillment once the queue shows it; None if it did not within `timeout_s`."""
        found = self._waiting.get(order_id)
        if found is None:
            found = self._waiting[order_id] = asyncio.get_running_loop().create_future()
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())
        try:
            return await asyncio.wait_for(asyncio.shield(found), timeout_s)
        except TimeoutError:
            if self._waiting.get(order_id) is found:
                del self._waiting[order_id]
            return None

    async def _poll(self) -> None:
        while self._waiting:
            cursor = None
            for _ in range(self.max_pages):
                try:
                    page = await self.api.work_queue("open", cursor)
                except Exception:  # counted by the transport; the waiters fall back to asking one by one
                    break
                self.reads += 1
                for item in page["items"]:
                    waiter = self._waiting.pop(item["order_id"], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(item)
                cursor = page.get("next_cursor")
                if not cursor or not self._waiting:
                    break
            await asyncio.sleep(self.poll_s)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
