"""Once a fulfillment is closed, the simulator sends no pack or dispatch for it (fulfillment-svc
would answer 409 `fulfillment_closed`), and its tally counts no parcel that was not packed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from orderpulse.simulator import steps as s
from orderpulse.simulator import warehouse
from orderpulse.simulator.clients import ApiError, Traffic
from orderpulse.simulator.stories import StoryRun
from orderpulse.simulator.tally import OrderRecord, Tally, ms

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


class FakeFulfillmentSvc:
    """One fulfillment with fulfillment-svc's rule: closed, it takes no more work (409)."""

    def __init__(self, reserved: dict[str, int], backordered: dict[str, int] | None = None) -> None:
        self.reserved, self.backordered = dict(reserved), dict(backordered or {})
        self.closed_reason: str | None = None
        self.sent: list[str] = []

    def view(self) -> dict:
        return {"fulfillment_id": "ful_1", "order_id": "ord_1", "warehouse_id": "wh-1",
                "status": "open" if self.closed_reason is None else "closed_short",
                "closed_reason": self.closed_reason,
                "reserved": [{"sku": k, "quantity": q} for k, q in self.reserved.items()],
                "backordered": [{"sku": k, "quantity": q} for k, q in self.backordered.items()]}

    def _accepting(self, what: str) -> None:
        self.sent.append(what)
        if self.closed_reason is not None:
            raise ApiError("http_409 fulfillment_closed", "POST", f"/v1/fulfillments/ful_1/{what}", 409)

    async def fulfillment_of(self, order_id: str) -> dict:
        return self.view()

    async def pack(self, fulfillment_id: str, body: dict, key: str) -> dict:
        self._accepting("pack")
        right = body["documents"] and body["documents"][0]["total"] == "18.00"  # 2 MUG-1 at 9
        return {"document_discrepancies": [] if right else [{"code": "invoice_total_mismatch"}]}

    async def dispatch(self, fulfillment_id: str, body: dict, key: str) -> dict:
        self._accepting("dispatch")
        return {}

    async def close(self, fulfillment_id: str, reason: str, at: datetime, key: str) -> dict:
        self._accepting("close")
        self.closed_reason, self.reserved, self.backordered = reason, {}, {}
        return self.view()


def story_run(svc: FakeFulfillmentSvc, backorder_sku: str | None = None) -> StoryRun:
    story = SimpleNamespace(index=1, profile=SimpleNamespace(backorder_sku=backorder_sku))
    desk = SimpleNamespace(fulfillment=svc, tally=Tally(), traffic=Traffic(), run_tag="t")
    run = StoryRun(story, desk)  # type: ignore[arg-type]
    run.record = OrderRecord(index=1, order_id="ord_1", tier="standard", channel="web", service_level="standard",
                             placed_ms=ms(T0), promised_ms=ms(T0 + timedelta(days=5)),
                             ship_deadline_ms=ms(T0 + timedelta(days=2)), ordered={"MUG-1": 2, "HEADPH-1": 1},
                             status="confirmed")
    run.prices = {"MUG-1": 9, "HEADPH-1": 79}
    return run


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_after_closing_short_the_story_packs_and_dispatches_nothing_more():
    svc = FakeFulfillmentSvc({"MUG-1": 2})
    run = story_run(svc)

    async def story() -> None:
        await warehouse.pack_shipment(run, s.PackShipment(at=at(1), shipment=1, documents="total_wrong"))
        await warehouse.close_short(run, s.CloseShort(at=at(2), reason="short pick"))
        assert await warehouse.pack_shipment(run, s.PackShipment(at=at(3), shipment=1, repack=True))
        assert await warehouse.dispatch_shipment(run, s.DispatchShipment(at=at(4), shipment=1, carrier="dhl",
                                                                         eta=at(600)))
        assert await warehouse.close_short(run, s.CloseShort(at=at(5), reason="again"))

    asyncio.run(story())
    assert svc.sent == ["pack", "close"]
    assert run.desk.tally.events["re-packed"] == 0 and run.desk.tally.events["dispatched"] == 0
    assert run.record.shipments["shp-sim-t-1-1"].dispatched_ms is None
    assert not run.desk.traffic.errors


def test_giving_up_on_a_backorder_closes_once_and_sends_no_second_parcel():
    svc = FakeFulfillmentSvc({"MUG-1": 2}, {"HEADPH-1": 1})
    run = story_run(svc, backorder_sku="HEADPH-1")

    async def story() -> None:
        await warehouse.pack_shipment(run, s.PackShipment(at=at(1), shipment=1))
        run.waits = warehouse.GIVE_UP_FILL_AFTER
        assert await warehouse.pack_shipment(run, s.PackShipment(at=at(2), shipment=2))
        svc.backordered = {}  # the restocked units arrive after all, too late
        assert await warehouse.pack_shipment(run, s.PackShipment(at=at(3), shipment=2))
        assert await warehouse.dispatch_shipment(run, s.DispatchShipment(at=at(4), shipment=2, carrier="dhl",
                                                                         eta=at(600)))

    asyncio.run(story())
    assert svc.sent == ["pack", "close"]
    assert run.desk.tally.events["packed"] == 1
    assert run.desk.tally.events["closed short: backorder never arrived"] == 1
    assert list(run.record.shipments) == ["shp-sim-t-1-1"]


def test_a_fulfillment_found_closed_is_not_packed_and_the_surprise_is_noted():
    svc = FakeFulfillmentSvc({"MUG-1": 2})
    svc.closed_reason = "closed at the warehouse desk"
    run = story_run(svc)

    async def story() -> bool:
        return await warehouse.pack_shipment(run, s.PackShipment(at=at(1), shipment=1))

    assert asyncio.run(story()) is True  # done, not "try again later" until the story gives up
    assert svc.sent == []
    assert run.desk.tally.events["packed"] == 0 and not run.record.shipments
    assert run.desk.traffic.errors["not packed: fulfillment closed"] == 1
