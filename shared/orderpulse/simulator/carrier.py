"""The carriers' side: scans of many parcels go out in signed batches per carrier, as carriers
upload them, and each parcel's scan learns its own answer (accepted, duplicate or rejected)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import TYPE_CHECKING

from orderpulse.simulator import steps as s
from orderpulse.simulator.api import FulfillmentApi
from orderpulse.simulator.clients import ApiError, format_time
from orderpulse.simulator.steps import CarrierScan
from orderpulse.simulator.tally import OrderRecord, ShipmentRecord, ms

if TYPE_CHECKING:
    from orderpulse.simulator.stories import StoryRun


def scan_body(scan: CarrierScan, event_id: str, tracking_number: str) -> dict:
    body = {"event_id": event_id, "tracking_number": tracking_number, "status": scan.status,
            "occurred_at": format_time(scan.at)}
    if scan.location:
        body["location"] = scan.location
    if scan.eta is not None:
        body["eta"] = format_time(scan.eta)
    if scan.reason:
        body["reason"] = scan.reason
    if scan.condition:
        body["condition"] = scan.condition
    return body


class CarrierDesk:
    """Collects scans per carrier and sends a batch when it is full or has waited `linger_s`."""

    def __init__(self, api: FulfillmentApi, *, batch_size: int = 100, linger_s: float = 0.05) -> None:
        self.api = api
        self.batch_size = batch_size
        self.linger_s = linger_s
        self._pending: dict[str, list[tuple[dict, asyncio.Future]]] = defaultdict(list)
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._sending: set[asyncio.Task] = set()
        self.batches = 0

    async def report(self, carrier: str, scans: list[dict]) -> list[dict]:
        """Each scan's result, in order: {"event_id", "outcome", "code"?, "reason"?}; ApiError if the batch failed."""
        loop = asyncio.get_running_loop()
        queue = self._pending[carrier]
        answers = []
        for scan in scans:
            answers.append(loop.create_future())
            queue.append((scan, answers[-1]))
        if len(queue) >= self.batch_size:
            self._send(carrier)
        elif carrier not in self._timers:
            self._timers[carrier] = loop.call_later(self.linger_s, self._send, carrier)
        return list(await asyncio.gather(*answers))

    def _send(self, carrier: str) -> None:
        timer = self._timers.pop(carrier, None)
        if timer is not None:
            timer.cancel()
        batch, self._pending[carrier] = self._pending[carrier], []
        if batch:
            task = asyncio.create_task(self._post(carrier, batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _post(self, carrier: str, batch: list[tuple[dict, asyncio.Future]]) -> None:
        self.batches += 1
        try:
            answer = await self.api.carrier_events(carrier, [scan for scan, _ in batch])
        except ApiError as error:
            for _scan, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        except BaseException as error:  # cancelled while sending: nobody must wait forever
            for _scan, future in batch:
                if not future.done():
                    future.cancel()
            if isinstance(error, asyncio.CancelledError):
                raise
            return
        results = {result["event_id"]: result for result in answer.get("results", [])}
        for scan, future in batch:
            if not future.done():
                future.set_result(results.get(scan["event_id"], {"event_id": scan["event_id"], "outcome": "missing"}))

    async def close(self) -> None:
        for carrier in list(self._pending):
            self._send(carrier)
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)


# --- a story's scans ----------------------------------------------------------------------

async def carrier_scan(run: StoryRun, *scans: s.CarrierScan) -> bool:
    record = run.order()
    shipment_id = run.packed.get(scans[0].shipment)
    if shipment_id is None or record.shipments[shipment_id].dispatched_ms is None:
        return True
    bodies = []
    for scan in scans:
        run.scans += 1
        tracking = run.tracking(scan.shipment, scan.carrier)
        bodies.append(scan_body(scan, f"{run.key}-{scan.shipment}-{run.scans}", tracking))
    results = await run.desk.carriers.report(scans[0].carrier, bodies)
    for scan, result in zip(scans, results, strict=True):
        if result.get("outcome") == "duplicate":
            # our own event id seen before: an earlier attempt of this batch was accepted but its
            # answer was lost (a timeout, then the transport's retry). Rejected scans are not
            # recorded, so only an accepted one can come back as a duplicate.
            result = {**result, "outcome": "accepted", "code": None}
        if result.get("outcome") != "accepted" or result.get("code"):
            run.desk.traffic.note(f"scan {result.get('outcome')}: {result.get('code')}",
                                   f"{scan.status} scan of order #{run.story.index}: {result}")
            continue
        scanned(run, record, record.shipments[shipment_id], scan)
    return True


def scanned(run: StoryRun, record: OrderRecord, shipment: ShipmentRecord, scan: s.CarrierScan) -> None:
    if scan.status == "delivered":
        shipment.delivered_ms, shipment.condition = ms(scan.at), scan.condition
        run.desk.tally.count("parcels delivered damaged" if scan.condition == "damaged" else "parcels delivered")
        if record.completion() is not None:
            run.desk.tally.count("orders delivered")
    elif scan.status == "exception" and scan.reason == "damaged_in_transit":
        shipment.damaged_in_transit = True
        run.desk.tally.count("damaged in transit")
    elif scan.status in ("delayed", "delivery_failed"):
        run.desk.tally.count(scan.status.replace("_", " "))
