"""Labor shifts, returns received, and the warehouse's work queue."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import orjson
from orderpulse.events import FULFILLMENT, validate_data
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.service import auth


async def test_a_labor_shift_is_published_keyed_by_warehouse_and_recorded_once(warehouse, names, infrastructure):
    end = datetime.now(UTC).replace(microsecond=0)
    shift = {"shift_id": "early", "start": (end - timedelta(hours=8)).isoformat(), "end": end.isoformat(), "staff": 4,
             "hourly_cost": "21.50"}
    path = f"/v1/warehouses/{names.warehouse}/labor-shifts"

    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        first = await warehouse.client.post(path, json=shift, headers=auth("warehouse"))
        again = await warehouse.client.post(path, json=shift, headers=auth("warehouse"))
        changed = await warehouse.client.post(path, json=shift | {"staff": 5}, headers=auth("warehouse"))
        records = await probe.wait_until(lambda rs: any(r.key == names.warehouse.encode() for r in rs))
        records = await probe.settle(0.5)

    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 409)
    assert again.json() == first.json()
    assert changed.json()["type"].endswith("/shift-already-recorded")
    [recorded] = [orjson.loads(r.value) for r in records if r.key == names.warehouse.encode()]
    assert recorded["type"] == "orderpulse.labor.shift_recorded.v1"
    assert recorded["partitionkey"] == names.warehouse
    assert recorded["time"] == recorded["data"]["end"]
    validate_data(recorded["type"], recorded["data"])
    assert recorded["data"]["staff"] == 4 and recorded["data"]["hourly_cost"] == "21.50"


async def test_a_shift_ending_before_it_starts_is_refused_naming_the_end(warehouse, names):
    now = datetime.now(UTC)
    answer = await warehouse.client.post(
        f"/v1/warehouses/{names.warehouse}/labor-shifts",
        json={"shift_id": "x", "start": now.isoformat(), "end": (now - timedelta(hours=1)).isoformat(), "staff": 1,
              "hourly_cost": "10"},
        headers=auth("warehouse"),
    )

    assert answer.status_code == 422
    assert answer.json()["field"] == "end"


async def request_return(warehouse, order_id: str, return_id: str, **quantities: int) -> None:
    """order-svc's side: a customer asked to send units back."""
    data = {
        "order_id": order_id,
        "return_id": return_id,
        "lines": warehouse.sku_lines(**quantities),
        "reason": "changed_mind",
        "kind": "refund",
    }
    await warehouse.publish("return.requested.v1", order_id, data)


async def test_an_intact_return_goes_back_on_the_shelf_and_to_a_waiting_order(warehouse, names, infrastructure):
    await warehouse.put_stock("MUG", 2)
    sold = await warehouse.wait_for_fulfillment(await warehouse.confirm("sold", MUG=2))
    await warehouse.ship(sold["fulfillment_id"], "1", MUG=2)
    waiting = await warehouse.confirm("waiting", MUG=1)
    await warehouse.wait_for_fulfillment(waiting, until=lambda f: f["backordered"] != [])
    return_id = f"ret-{names.suffix}-1"
    body = {"lines": warehouse.sku_lines(MUG=1), "condition": "intact"}  # no order_id: return.requested has it
    path = f"/v1/returns/{return_id}/receive"

    early = await warehouse.client.post(path, json=body, headers=auth("warehouse"))
    assert early.status_code == 404 and early.json()["type"].endswith("/return-not-found")
    await request_return(warehouse, sold["order_id"], return_id, MUG=1)
    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:

        deadline = time.monotonic() + 20
        while (received := await warehouse.client.post(path, json=body, headers=auth("warehouse"))).status_code == 404:
            assert time.monotonic() < deadline, "return.requested never arrived"
            await asyncio.sleep(0.05)
        again = await warehouse.client.post(path, json=body, headers=auth("warehouse"))
        records = await probe.wait_until(
            lambda rs: any(b"return.received" in r.value for r in rs) and any(b"inventory.adjusted" in r.value for r in rs)
        )

    assert received.status_code == 201, received.text
    assert again.status_code == 200 and again.json() == received.json()
    assert received.json()["order_id"] == sold["order_id"]
    assert received.json()["restocked"] == [{"sku": names.sku("MUG"), "quantity": 1}]
    assert (await warehouse.fulfillment_of(waiting))["reserved"] == [{"sku": names.sku("MUG"), "quantity": 1}]
    assert (await warehouse.stock("MUG")) | {"sku": None} == {
        "warehouse_id": names.warehouse, "sku": None, "on_hand": 1, "reserved": 1, "available": 0
    }
    [event] = [orjson.loads(r.value) for r in records if b"return.received" in r.value]
    assert event["partitionkey"] == sold["order_id"]
    validate_data(event["type"], event["data"])
    assert event["data"]["return_id"] == return_id
    assert [(line["sku"], line["quantity"]) for line in event["data"]["lines"]] == [(names.sku("MUG"), 1)]
    [restocked] = [orjson.loads(r.value) for r in records if b"inventory.adjusted" in r.value]
    assert restocked["partitionkey"] == names.warehouse
    assert restocked["data"] == {
        "warehouse_id": names.warehouse, "sku": names.sku("MUG"), "on_hand_before": 0, "on_hand_after": 1, "reason": "return"
    }
    # an order_id sent by an older client is still accepted, but must be the return's own order
    wrong = await warehouse.client.post(
        path, json=body | {"order_id": names.order("other")}, headers=auth("warehouse")
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "order_id"
    right = await warehouse.client.post(path, json=body | {"order_id": sold["order_id"]}, headers=auth("warehouse"))
    assert right.status_code == 200


async def test_a_return_of_more_than_was_shipped_or_of_an_unknown_order_is_refused(warehouse, names):
    await warehouse.put_stock("MUG", 5)
    sold = await warehouse.wait_for_fulfillment(await warehouse.confirm("sold", MUG=2))
    await warehouse.ship(sold["fulfillment_id"], "1", MUG=1)

    too_many = await warehouse.client.post(
        "/v1/returns/ret-1/receive",
        json={"order_id": sold["order_id"], "lines": warehouse.sku_lines(MUG=2), "condition": "damaged"},
        headers=auth("warehouse"),
    )
    unknown = await warehouse.client.post(
        "/v1/returns/ret-2/receive",
        json={"order_id": names.order("never"), "lines": warehouse.sku_lines(MUG=1), "condition": "damaged"},
        headers=auth("warehouse"),
    )

    assert too_many.status_code == 409
    assert too_many.json()["type"].endswith("/return-exceeds-shipped")
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "order_id"


async def test_the_work_queue_lists_the_oldest_ship_deadline_first_page_by_page(warehouse, names):
    await warehouse.put_stock("MUG", 100)
    placed = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday
    # confirmed on Wednesday, Monday, Tuesday: deadlines two business days later
    for name, day in (("wed", 2), ("mon", 0), ("tue", 1), ("thu", 3), ("fri", 4)):
        await warehouse.confirm(name, at=placed + timedelta(days=day), MUG=1)
    for name in ("wed", "mon", "tue", "thu", "fri"):
        await warehouse.wait_for_fulfillment(names.order(name))

    seen, cursor = [], None
    while True:
        params = {"warehouse_id": names.warehouse, "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await warehouse.client.get("/v1/fulfillments", params=params, headers=auth("warehouse"))).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert [f["order_id"] for f in seen] == [names.order(n) for n in ("mon", "tue", "wed", "thu", "fri")]
    assert [f["ship_deadline"] for f in seen] == [
        "2026-11-18T09:00:00.000Z",
        "2026-11-19T09:00:00.000Z",
        "2026-11-20T09:00:00.000Z",
        "2026-11-23T09:00:00.000Z",  # Thursday + 2 business days: over the weekend
        "2026-11-24T09:00:00.000Z",
    ]


async def test_the_work_queue_filters_by_status(warehouse, names):
    await warehouse.put_stock("MUG", 10)
    packing = await warehouse.wait_for_fulfillment(await warehouse.confirm("packing", MUG=1))
    await warehouse.pack(packing["fulfillment_id"], MUG=1)
    untouched = await warehouse.wait_for_fulfillment(await warehouse.confirm("open", MUG=1))

    def listed(status):
        return warehouse.client.get(
            "/v1/fulfillments", params={"warehouse_id": names.warehouse, "status": status}, headers=auth("warehouse")
        )

    assert [f["fulfillment_id"] for f in (await listed("packing")).json()["items"]] == [packing["fulfillment_id"]]
    assert [f["fulfillment_id"] for f in (await listed("open")).json()["items"]] == [untouched["fulfillment_id"]]
    assert (await listed("completed")).json()["items"] == []
