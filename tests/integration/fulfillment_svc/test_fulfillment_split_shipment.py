"""What is short ships later as another shipment; the fulfillment completes with the last delivery."""

from __future__ import annotations

import orjson
from orderpulse.events import FULFILLMENT, validate_data
from orderpulse.testing.kafka_probe import TopicProbe


async def test_a_backordered_order_ships_in_two_parts_and_completes_only_after_the_last_delivery(
    warehouse, names, infrastructure
):
    await warehouse.put_stock("MUG", 3)
    order_id = await warehouse.confirm("a", MUG=5)
    fulfillment = await warehouse.wait_for_fulfillment(order_id)
    fulfillment_id = fulfillment["fulfillment_id"]
    assert fulfillment["backordered"] == [{"sku": names.sku("MUG"), "quantity": 2}]

    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        await warehouse.ship(fulfillment_id, "first", MUG=3)
        first = await warehouse.report([warehouse.scan("1", "first", "delivered", minutes=10, condition="intact")])
        assert first.json()["results"][0]["outcome"] == "accepted"
        halfway = await warehouse.fulfillment_of(order_id)
        assert halfway["status"] == "partially_dispatched"

        arrived = await warehouse.put_stock("MUG", 2)
        assert arrived.json()["backorders_filled"] == [
            {"fulfillment_id": fulfillment_id, "sku": names.sku("MUG"), "quantity": 2}
        ]
        assert (await warehouse.fulfillment_of(order_id))["reserved"] == [{"sku": names.sku("MUG"), "quantity": 2}]
        await warehouse.ship(fulfillment_id, "second", MUG=2)
        assert (await warehouse.fulfillment_of(order_id))["status"] == "dispatched"
        last = await warehouse.report([warehouse.scan("2", "second", "delivered", minutes=20, condition="intact")])
        assert last.json()["results"][0]["outcome"] == "accepted"

        records = await probe.wait_until(
            lambda rs: any(b"fulfillment.completed" in r.value and r.key == order_id.encode() for r in rs)
        )

    done = await warehouse.fulfillment_of(order_id)
    assert done["status"] == "completed"
    assert [s["status"] for s in done["shipments"]] == ["delivered", "delivered"]
    opening = ("orderpulse.fulfillment.created.v1", "orderpulse.inventory.backordered.v1")  # may land after the probe started
    events = [e for r in records if r.key == order_id.encode() and (e := orjson.loads(r.value))["type"] not in opening]
    assert [e["type"].removeprefix("orderpulse.") for e in events] == [
        "fulfillment.packed.v1",
        "shipment.dispatched.v1",
        "shipment.delivered.v1",
        "fulfillment.packed.v1",
        "shipment.dispatched.v1",
        "shipment.delivered.v1",
        "fulfillment.completed.v1",
    ]
    completed = events[-1]
    validate_data(completed["type"], completed["data"])
    assert completed["data"] | {"delivered_at": None} == {
        "order_id": order_id,
        "shipments": 2,
        "delivered_at": None,
        "lines_requested": [{"sku": names.sku("MUG"), "quantity": 5}],
        "lines_delivered": [{"sku": names.sku("MUG"), "quantity": 5}],
        "closed_short": False,
    }
    assert completed["data"]["delivered_at"] == completed["time"] == events[-2]["time"]
    assert (await warehouse.stock("MUG")) | {"sku": None} == {
        "warehouse_id": names.warehouse, "sku": None, "on_hand": 0, "reserved": 0, "available": 0
    }


async def test_new_stock_goes_to_the_oldest_backorder_first(warehouse, names):
    older = await warehouse.confirm("older", MUG=2)
    await warehouse.wait_for_fulfillment(older)
    younger = await warehouse.confirm("younger", MUG=2)
    await warehouse.wait_for_fulfillment(younger)

    arrived = await warehouse.put_stock("MUG", 3)

    assert [(f["fulfillment_id"], f["quantity"]) for f in arrived.json()["backorders_filled"]] == [
        ((await warehouse.fulfillment_of(older))["fulfillment_id"], 2),
        ((await warehouse.fulfillment_of(younger))["fulfillment_id"], 1),
    ]
    assert (await warehouse.fulfillment_of(younger))["backordered"] == [{"sku": names.sku("MUG"), "quantity": 1}]


async def test_a_count_below_what_is_reserved_is_shrinkage_backordering_the_youngest_orders(
    warehouse, names, infrastructure
):
    await warehouse.put_stock("MUG", 5)
    older = await warehouse.wait_for_fulfillment(await warehouse.confirm("older", MUG=3))
    younger = await warehouse.wait_for_fulfillment(await warehouse.confirm("younger", MUG=2))

    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        counted = await warehouse.put_stock("MUG", 2)
        records = await probe.wait_until(
            lambda rs: any(b"inventory.adjusted" in r.value for r in rs)
            and any(b"inventory.backordered" in r.value for r in rs)
        )

    assert counted.status_code == 200, counted.text
    assert counted.json()["on_hand"] == 2 and counted.json()["reserved"] == 2
    assert counted.json()["backordered"] == [
        {"fulfillment_id": younger["fulfillment_id"], "order_id": younger["order_id"], "sku": names.sku("MUG"), "quantity": 2},
        {"fulfillment_id": older["fulfillment_id"], "order_id": older["order_id"], "sku": names.sku("MUG"), "quantity": 1},
    ]
    assert (await warehouse.fulfillment_of(older["order_id"]))["reserved"] == [{"sku": names.sku("MUG"), "quantity": 2}]
    assert (await warehouse.fulfillment_of(younger["order_id"]))["backordered"] == [
        {"sku": names.sku("MUG"), "quantity": 2}
    ]
    events = [orjson.loads(r.value) for r in records]
    [adjusted] = [e for e in events if e["type"].endswith("inventory.adjusted.v1")]
    validate_data(adjusted["type"], adjusted["data"])
    assert adjusted["partitionkey"] == names.warehouse
    assert adjusted["data"] == {
        "warehouse_id": names.warehouse, "sku": names.sku("MUG"), "on_hand_before": 5, "on_hand_after": 2,
        "reason": "shrinkage",
    }
    backordered = [e["data"] for e in events if e["type"].endswith("inventory.backordered.v1")]
    assert sorted((d["order_id"], d["quantity_short"]) for d in backordered) == sorted(
        [(younger["order_id"], 2), (older["order_id"], 1)]
    )
    # the next units in go to the oldest order first
    refilled = await warehouse.put_stock("MUG", 3)
    assert [f["fulfillment_id"] for f in refilled.json()["backorders_filled"]] == [older["fulfillment_id"]]


async def test_a_count_below_the_units_packed_in_boxes_is_refused(warehouse):
    await warehouse.put_stock("MUG", 5)
    fulfillment = await warehouse.wait_for_fulfillment(await warehouse.confirm("a", MUG=4))
    assert (await warehouse.pack(fulfillment["fulfillment_id"], MUG=3)).status_code == 201

    refused = await warehouse.put_stock("MUG", 2)
    unchanged = await warehouse.put_stock("MUG", 5)

    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/stock-below-packed")
    assert refused.json()["field"] == "on_hand"
    assert (await warehouse.stock("MUG"))["on_hand"] == 5 and (await warehouse.stock("MUG"))["reserved"] == 4
    assert unchanged.status_code == 200
