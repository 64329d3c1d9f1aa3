"""What notify-svc tells earlier runs' customers while this run goes on, counted as kpi-svc counts it.

A message can go out long after the run that caused it is over: an SMS waits out its customer's
quiet hours, a survey email goes out `ORDERPULSE_SURVEY_DELAY` after a delivery. If it is sent
while a later run goes on, kpi-svc counts it in that run's figures (notification timeliness,
status communication accuracy, cost per order), and the later run's tally, which knows only its own
orders, would disagree with kpi-svc. So a run ends by writing the orders notify-svc may still tell
about (its own that it read back, and earlier ones still with messages pending) to
`simulator-earlier-orders.json` in the stack's folder (beside stack.json). The next run reads that list
once it has read kpi-svc's baseline, notes what those orders were sent so far, and reads them again
at its end: what they were sent since is counted in the tally too (`Tally.earlier`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import orjson

from orderpulse.simulator.api import NotifyApi, OrderApi
from orderpulse.simulator.clients import ApiError
from orderpulse.simulator.notices import message_key, milestones_of, notifications_of, sent_and_waiting
from orderpulse.simulator.tally import EarlierOrder, Tally

EARLIER_ORDERS_FILE = "simulator-earlier-orders.json"
READERS = 8  # requests in flight while reading them


def load_earlier_orders(state_dir: Path | None) -> list[str]:
    """The orders an earlier run left for this one to follow (none without a file, or an unreadable one)."""
    if state_dir is None:
        return []
    try:
        data = orjson.loads((state_dir / EARLIER_ORDERS_FILE).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return []
    orders = data.get("orders") if isinstance(data, dict) else None
    return [order for order in orders if isinstance(order, str)] if isinstance(orders, list) else []


def save_earlier_orders(state_dir: Path | None, order_ids: Iterable[str]) -> None:
    if state_dir is None:
        return
    path = state_dir / EARLIER_ORDERS_FILE
    path.write_bytes(orjson.dumps({"orders": sorted(set(order_ids))}, option=orjson.OPT_INDENT_2))


class EarlierMessages:
    """What earlier runs' orders were told before this run began, and what since."""

    def __init__(self, notify: NotifyApi, orders: OrderApi, state_dir: Path | None) -> None:
        self.notify, self.orders, self.state_dir = notify, orders, state_dir
        self.sent_before: dict[str, set[str]] = {}  # order id -> its messages sent before this run began
        self.waiting: set[str] = set()  # of those orders, those with messages still pending at the last reading

    async def note(self) -> int:
        """Read the earlier orders' messages once the baseline is read; returns how many are pending."""
        gate = asyncio.Semaphore(READERS)
        pending = 0

        async def one(order_id: str) -> None:
            nonlocal pending
            async with gate:
                try:
                    sent, waiting = sent_and_waiting(await self.notify.notifications(order_id))
                except ApiError:
                    return  # counted by the transport; not followed
            self.sent_before[order_id] = {message_key(item) for item in sent}
            if waiting:
                self.waiting.add(order_id)
                pending += len(waiting)

        await asyncio.gather(*(one(order_id) for order_id in load_earlier_orders(self.state_dir)))
        return pending

    async def read(self, tally: Tally) -> None:
        """Put in the tally what the earlier orders were sent since `note` (their timeline read only then)."""
        gate = asyncio.Semaphore(READERS)

        async def one(order_id: str, before: set[str]) -> None:
            async with gate:
                try:
                    sent, waiting = sent_and_waiting(await self.notify.notifications(order_id))
                    new = [item for item in sent if message_key(item) not in before]
                    timeline = await self.orders.timeline(order_id) if new else []
                except ApiError:
                    return  # counted by the transport; the order keeps what was read before
            (self.waiting.add if waiting else self.waiting.discard)(order_id)
            since = notifications_of(new, timeline)
            if since:
                tally.earlier[order_id] = EarlierOrder(order_id, since, milestones_of(timeline))

        await asyncio.gather(*(one(order_id, before) for order_id, before in self.sent_before.items()))

    def save(self, this_run: Iterable[str]) -> None:
        """At the end of the run: the orders notify-svc may still tell about, for the next run: this
        run's (`this_run`), and the earlier ones that still have messages pending."""
        save_earlier_orders(self.state_dir, {*this_run, *self.waiting})
