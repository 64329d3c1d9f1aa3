"""Messages of earlier runs that notify-svc still held when this run began, followed to its end.

An SMS waits out its customer's quiet hours, hours after the run that caused it is over. If it is
sent while a later run goes on, kpi-svc counts it in that run's figures (notification timeliness,
status communication accuracy, cost per order), and the later run's tally, which knows only its own
orders, would disagree with kpi-svc. So a run ends by writing the orders whose messages are still
pending to `simulator-pending.json` in the stack's folder (beside stack.json). The next run reads
that list once it has read kpi-svc's baseline, notes what those orders' messages are then, and
reads them again at its end: a message sent since then is counted in the tally too
(`Tally.earlier`), where kpi-svc counts it.
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

PENDING_FILE = "simulator-pending.json"


def load_pending_orders(state_dir: Path | None) -> list[str]:
    """The orders an earlier run left with messages pending (none without a file, or an unreadable one)."""
    if state_dir is None:
        return []
    try:
        data = orjson.loads((state_dir / PENDING_FILE).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return []
    orders = data.get("orders_with_messages_pending") if isinstance(data, dict) else None
    return [order for order in orders if isinstance(order, str)] if isinstance(orders, list) else []


def save_pending_orders(state_dir: Path | None, order_ids: Iterable[str]) -> None:
    if state_dir is None:
        return
    path = state_dir / PENDING_FILE
    path.write_bytes(orjson.dumps({"orders_with_messages_pending": sorted(set(order_ids))}, option=orjson.OPT_INDENT_2))


class EarlierMessages:
    """What earlier runs' orders were told before this run began, and what since."""

    def __init__(self, notify: NotifyApi, orders: OrderApi, state_dir: Path | None) -> None:
        self.notify, self.orders, self.state_dir = notify, orders, state_dir
        self.sent_before: dict[str, set[str]] = {}  # order id -> its messages sent before this run began
        self.waiting: set[str] = set()  # of those orders, those with messages still pending at the last reading

    async def note(self) -> int:
        """Read the earlier orders' messages once the baseline is read; returns how many are pending."""
        pending = 0
        for order_id in load_pending_orders(self.state_dir):
            try:
                sent, waiting = sent_and_waiting(await self.notify.notifications(order_id))
            except ApiError:
                continue
            if waiting:
                self.sent_before[order_id] = {message_key(item) for item in sent}
                self.waiting.add(order_id)
                pending += len(waiting)
        return pending

    async def read(self, tally: Tally) -> None:
        """Put in the tally what the earlier orders were sent since `note`."""

        async def one(order_id: str, before: set[str]) -> None:
            try:
                sent, waiting = sent_and_waiting(await self.notify.notifications(order_id))
                timeline = await self.orders.timeline(order_id) if sent else []
            except ApiError:
                return  # counted by the transport; the order keeps what was read before
            (self.waiting.add if waiting else self.waiting.discard)(order_id)
            since = [note for note in notifications_of(sent, timeline) if note.key not in before]
            if since:
                tally.earlier[order_id] = EarlierOrder(order_id, since, milestones_of(timeline))

        await asyncio.gather(*(one(order_id, before) for order_id, before in self.sent_before.items()))

    def save(self, this_run_waiting: Iterable[str]) -> None:
        """At the end of the run: the orders, this run's and earlier ones, with messages still pending."""
        save_pending_orders(self.state_dir, {*this_run_waiting, *self.waiting})
