"""Playing one order's story against the services, step by step, each in its turn of the pacer.

A step either happens (and its facts go to the tally as the service confirmed them) or is not
possible yet because another service has not caught up (the fulfillment is not open yet,
order-svc has not heard of the delivery, the restocked units went to an older backorder): then
the story gives its slot back, waits a little and tries again. An API error ends the story (it
is counted by kind); the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orderpulse.business_days import BusinessCalendar
from orderpulse.simulator import care, carrier, storefront, warehouse
from orderpulse.simulator import steps as s
from orderpulse.simulator.api import FeedbackApi, FulfillmentApi, OrderApi
from orderpulse.simulator.carrier import CarrierDesk
from orderpulse.simulator.clients import ApiError, Traffic
from orderpulse.simulator.pacer import Pacer
from orderpulse.simulator.scenario import Story
from orderpulse.simulator.stockroom import StockKeeper, WorkQueue
from orderpulse.simulator.tally import OrderRecord, Tally

log = logging.getLogger("orderpulse.simulator")
NOT_YET = False  # what a step answers when another service has not caught up yet
MAX_WAITS = 120  # about 4 minutes of polite retries (0.2 s growing to 2 s) before a story gives up
HANDLERS = {
    s.PlaceOrder: storefront.place_order,
    s.CorrectOrder: storefront.correct_order,
    s.PaymentCallback: storefront.payment_callback,
    s.CancelOrder: storefront.cancel_order,
    s.RequestReturn: storefront.request_return,
    s.PackShipment: warehouse.pack_shipment,
    s.DispatchShipment: warehouse.dispatch_shipment,
    s.Restock: warehouse.restock,
    s.CloseShort: warehouse.close_short,
    s.ReceiveReturn: warehouse.receive_return,
    s.CarrierScan: carrier.carrier_scan,
    s.AnswerSurvey: care.answer_survey,
    s.OpenIssue: care.open_issue,
    s.AcknowledgeIssue: care.acknowledge_issue,
    s.ResolveIssue: care.resolve_issue,
}
FRESH_MS = 25 * 3_600_000  # notify-svc tells customers only of what happened in the last 24 h


class StoryAborted(Exception):
    pass


@dataclass
class Desk:
    """Everything a story needs: the APIs, the pacer, the tally, and the run's id prefix."""

    orders: OrderApi
    fulfillment: FulfillmentApi
    carriers: CarrierDesk
    stock: StockKeeper
    queue: WorkQueue
    pacer: Pacer
    tally: Tally
    traffic: Traffic
    calendar: BusinessCalendar
    run_tag: str
    feedback: FeedbackApi | None = None  # None: no feedback-svc in the stack


class StoryRun:
    def __init__(self, story: Story, desk: Desk, *, live: bool = False) -> None:
        self.story, self.desk, self.live = story, desk, live
        self.key = f"sim-{desk.run_tag}-{story.index}"
        self.record: OrderRecord | None = None
        self.total = "0.00"
        self.prices: dict[str, Decimal] = {}
        self.backordered: dict[str, int] = {}
        self.packed: dict[int, str] = {}  # shipment number -> shipment id
        self.closed = False  # the fulfillment takes no more work (closed by the story): no pack, no dispatch
        self.scans = 0
        self.return_id: str | None = None
        self.return_body: list[dict] = []
        self.waits = 0
        self.opened: dict | None = None  # the fulfillment as the work queue showed it
        self.waiting_for = ""
        self.issue_ids: dict[int, str] = {}  # the story's n-th issue -> feedback-svc's id

    async def play(self) -> None:
        tally = self.desk.tally
        try:
            steps = self.story.steps
            position = 0
            while position < len(steps):
                taken = self._scans_due(position) if isinstance(steps[position], s.CarrierScan) else 1
                await self._take(steps[position:position + taken])
                position += taken
        except (ApiError, StoryAborted) as error:
            tally.stories_aborted += 1
            if isinstance(error, StoryAborted):
                self.desk.traffic.note(f"story gave up: {error}", f"order #{self.story.index}: {error}")
            log.debug("story %s ended early: %s", self.story.index, error)
        else:
            tally.stories_finished += 1
        if self.record is not None:  # (a story cut short by the end of the run stays in flight)
            tally.in_flight -= 1

    def _scans_due(self, position: int) -> int:
        """A parcel's scans that are all in the past go in one upload, as a carrier sends a day's scans."""
        steps, first = self.story.steps, self.story.steps[position]
        now = datetime.now(UTC)
        end = position + 1
        while (end < len(steps) and isinstance(steps[end], s.CarrierScan) and steps[end].shipment == first.shipment
               and steps[end].at <= now):
            end += 1
        return end - position

    async def _take(self, group: tuple[s.Step, ...]) -> None:
        step = group[0]
        handler = HANDLERS[type(step)]
        self.waits = 0
        if isinstance(step, s.PackShipment) and step.shipment == 1 and not step.repack and self.record is not None:
            self.opened = await self.desk.queue.opened(self.record.order_id)  # wait for it without holding a slot
        while True:
            async with self.desk.pacer.turn(step.at):
                done = await handler(self, *group)
            if done is not NOT_YET:
                if self.record is not None and datetime.now(UTC) - group[-1].at < timedelta(milliseconds=FRESH_MS):
                    self.record.fresh = True  # notify-svc may tell the customer: read what it sent at the end
                return
            self.waits += 1
            if self.waits > MAX_WAITS:
                raise StoryAborted(f"{step.name} gave up waiting for {self.waiting_for}")
            await asyncio.sleep(min(2.0, 0.2 * 1.3 ** self.waits))

    # --- helpers for the steps ---------------------------------------------------------------
    def not_yet(self, waiting_for: str) -> bool:
        """What a step answers when another service has not caught up: try again a little later."""
        self.waiting_for = waiting_for
        return NOT_YET

    def order(self) -> OrderRecord:
        if self.record is None:
            raise StoryAborted("the order was never placed")
        return self.record

    def tracking(self, shipment: int, carrier: str) -> str:
        return f"{carrier.upper()}-{self.key}-{shipment}"

    def expect(self, holds: bool, what: str, found: object, expected: object) -> None:
        if not holds:
            self.desk.traffic.note(what, f"order #{self.story.index}: {what}: {found!r}, expected {expected!r}")
