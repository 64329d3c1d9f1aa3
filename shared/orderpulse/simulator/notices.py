"""What notify-svc told the customers, read back at the end of a run through its public API
(`GET /v1/orders/{id}/notifications`), with each order's status milestones from order-svc's
timeline (status communication accuracy compares a message with what happened up to its sending)
and the unit cost of each message sent (the notifications list carries none; its
`notification.sent` event on the timeline does).

Courtesy calls are listed as `sent` with channel `call`, but notify-svc records a completed call
as `courtesy_call.completed`, not `notification.sent`, so no KPI counts them; they are left out
unless a `notification.sent` for them is on the timeline."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from orderpulse.simulator.api import NotifyApi, OrderApi
from orderpulse.simulator.care_measures import MILESTONE_OF_TYPE
from orderpulse.simulator.clients import ApiError, parse_time
from orderpulse.simulator.tally import NotificationRecord, OrderRecord, Tally, money, ms

SENT = "orderpulse.notification.sent.v1"


QUIET_HOURS_DEFERRED = "quiet_hours_deferred"


@dataclass(frozen=True)
class Pending:
    """Messages notify-svc has not sent yet: `held` for the customer's quiet hours (hours away),
    `coming` soon (a parcel's digest window, up to ORDERPULSE_DIGEST_WINDOW_S, or a retry).
    Courtesy calls are not messages: an open one is in neither."""

    held: int = 0
    coming: int = 0

    @property
    def total(self) -> int:
        return self.held + self.coming


async def read_notifications(notify: NotifyApi, orders: OrderApi, tally: Tally, *, concurrency: int = 8) -> Pending:
    """Refresh every order's notifications (those notify-svc may have told about: `fresh`);
    returns what is still pending."""
    gate = asyncio.Semaphore(concurrency)
    held = coming = 0

    async def one(record: OrderRecord) -> None:
        nonlocal held, coming
        async with gate:
            try:
                sent, waiting = sent_and_waiting(await notify.notifications(record.order_id))
                held += sum(1 for item in waiting if item.get("reason") == QUIET_HOURS_DEFERRED)
                coming += sum(1 for item in waiting if item.get("reason") != QUIET_HOURS_DEFERRED)
                # read again every time: order-svc may not have followed every milestone yet at the last reading
                timeline = await orders.timeline(record.order_id) if sent else []
            except ApiError:
                return  # counted by the transport; the order keeps what was read before
        record.milestones = milestones_of(timeline)
        record.notifications = notifications_of(sent, timeline)

    await asyncio.gather(*(one(record) for record in list(tally.orders.values()) if record.fresh))
    return Pending(held, coming)


def sent_and_waiting(items: list[dict]) -> tuple[list[dict], list[dict]]:
    """An order's messages notify-svc sent, and those it has still to send."""
    # a parcel's row told in a digest is not a message of its own (one notification.sent)
    sent = [item for item in items if item.get("status") == "sent" and item.get("sent_at") and not item.get("merged_into")]
    # an open courtesy call is listed as pending until its account manager makes it
    waiting = [item for item in items if item.get("status") == "pending" and item.get("channel") != "call"]
    return sent, waiting


def milestones_of(timeline: list[dict]) -> list[tuple[int, str]]:
    return [(ms(parse_time(entry["occurred_at"])), MILESTONE_OF_TYPE[entry["type"]])
            for entry in timeline if entry.get("type") in MILESTONE_OF_TYPE]


def notifications_of(sent: list[dict], timeline: list[dict]) -> list[NotificationRecord]:
    costs = {entry["data"].get("notification_id"): entry["data"].get("unit_cost")
             for entry in timeline if entry.get("type") == SENT}
    out = []
    for item in sent:
        if item["channel"] == "call" and item.get("notification_id") not in costs:
            continue  # a courtesy call notify-svc lists as done but records as courtesy_call.completed only
        cost = item.get("unit_cost", costs.get(item.get("notification_id")))
        out.append(NotificationRecord(message_key(item), item["milestone"], item["channel"], ms(parse_time(item["trigger_time"])),
                                      ms(parse_time(item["sent_at"])), money(Decimal(cost)) if cost else 0,
                                      item.get("notification_id") in costs))
    return out


def message_key(item: dict) -> str:
    """What identifies one message of an order: its id, or where the API gives none its milestone, channel and trigger."""
    return item.get("notification_id") or f"{item['milestone']}/{item['channel']}/{item['trigger_time']}"
