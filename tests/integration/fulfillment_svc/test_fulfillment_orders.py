"""What order-svc's events do: confirmed orders become fulfillments, cancelled ones give their stock back."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from orderpulse.events import FULFILLMENT, validate_data
from orderpulse.testing.kafka_probe import TopicProbe


async def test_a_confirmed_order_becomes_a_fulfillment_with_its_stock_reserved_and_the_event_published(
    warehouse, names, infrastructure
):
    await warehouse.put_stock("MUG", 10)
    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        order_id = await warehouse.confirm("a", MUG=3, TEE=1)
        fulfillment = await warehouse.wait_for_fulfillment(order_id)
        records = await probe.wait_until(lambda rs: len([r for r in rs if r.key == order_id.encode()]) >= 2)

    assert fulfillment["warehouse_id"] == names.warehouse
    assert fulfillment["status"] == "open"
    assert fulfillment["reserved"] == [{"sku": names.sku("MUG"), "quantity": 3}]
    assert fulfillment["backordered"] == [{"sku": names.sku("TEE"), "quantity": 1}]
    assert (await warehouse.stock("MUG")) | {"sku": None} == {
        "warehouse_id": names.warehouse, "sku": None, "on_hand": 10, "reserved": 3, "available": 7
    }

    mine = [r for r in records if r.key == order_id.encode()]
    envelopes = [orjson.loads(r.value) for r in mine]
    assert [e["type"] for e in envelopes] == ["orderpulse.fulfillment.created.v1", "orderpulse.inventory.backordered.v1"]
    for record, envelope in zip(mine, envelopes, strict=True):
        assert envelope["specversion"] == "1.0"
        assert envelope["source"] == "/fulfillment-svc"
        assert envelope["subject"] == envelope["partitionkey"] == order_id
        assert envelope["time"].endswith("Z")
        assert dict(record.headers)["ce_type"].decode() == envelope["type"]
        assert dict(record.headers)["ce_id"].decode() == envelope["id"]
        validate_data(envelope["type"], envelope["data"])
    created, backordered = (e["data"] for e in envelopes)
    assert created["fulfillment_id"] == fulfillment["fulfillment_id"]
    assert [line["sku"] for line in created["lines"]] == [names.sku("MUG"), names.sku("TEE")]
    assert backordered == {
        "order_id": order_id, "warehouse_id": names.warehouse, "sku": names.sku("TEE"), "quantity_short": 1
    }


async def test_an_order_goes_to_the_warehouse_that_has_most_of_it(warehouse, names):
    other = names.wh("other")
    await warehouse.put_stock("MUG", 1)
    await warehouse.put_stock("MUG", 5, warehouse=other)

    order_id = await warehouse.confirm("a", MUG=4)
    fulfillment = await warehouse.wait_for_fulfillment(order_id)

    assert fulfillment["warehouse_id"] == other
    assert fulfillment["backordered"] == []


async def test_a_cancelled_order_gives_its_reservation_back_to_the_next_order_waiting(warehouse, names):
    await warehouse.put_stock("MUG", 2)
    first = await warehouse.confirm("first", MUG=2)
    await warehouse.wait_for_fulfillment(first)
    second = await warehouse.confirm("second", MUG=2)
    await warehouse.wait_for_fulfillment(second, until=lambda f: f["backordered"] != [])

    await warehouse.cancel("first")

    cancelled = await warehouse.wait_for_fulfillment(first, until=lambda f: f["status"] == "cancelled")
    waiting = await warehouse.wait_for_fulfillment(second, until=lambda f: f["backordered"] == [])
    assert cancelled["reserved"] == []
    assert waiting["reserved"] == [{"sku": names.sku("MUG"), "quantity": 2}]
    assert (await warehouse.stock("MUG"))["reserved"] == 2


async def test_a_confirmation_sent_again_before_packing_replaces_the_lines_and_address(warehouse, names):
    await warehouse.put_stock("MUG", 10)
    await warehouse.put_stock("CAP", 10)
    order_id = await warehouse.confirm("a", MUG=2)
    await warehouse.wait_for_fulfillment(order_id)

    await warehouse.confirm("a", city="Hamburg", MUG=1, CAP=3)

    fulfillment = await warehouse.wait_for_fulfillment(order_id, until=lambda f: f["ship_to"]["city"] == "Hamburg")
    assert [(line["sku"], line["quantity"]) for line in fulfillment["lines"]] == [(names.sku("MUG"), 1), (names.sku("CAP"), 3)]
    assert (await warehouse.stock("MUG"))["reserved"] == 1
    assert (await warehouse.stock("CAP"))["reserved"] == 3


async def test_a_confirmation_sent_again_after_packing_is_ignored(warehouse, names):
    await warehouse.put_stock("MUG", 10)
    order_id = await warehouse.confirm("a", MUG=2)
    fulfillment = await warehouse.wait_for_fulfillment(order_id)
    assert (await warehouse.pack(fulfillment["fulfillment_id"], MUG=2)).status_code == 201

    await warehouse.confirm("a", city="Hamburg", MUG=5)
    marker = await warehouse.confirm("marker", MUG=1)  # same consumer, so once it is in, the re-send was handled
    await warehouse.wait_for_fulfillment(marker)

    unchanged = await warehouse.fulfillment_of(order_id)
    assert unchanged["ship_to"]["city"] == "Berlin"
    assert unchanged["lines"][0]["quantity"] == 2
    assert (await warehouse.stock("MUG"))["reserved"] == 3


async def test_an_order_cancelled_before_it_was_confirmed_gets_no_fulfillment(warehouse, names):
    await warehouse.put_stock("MUG", 10)
    await warehouse.cancel("a")
    order_id = await warehouse.confirm("a", MUG=2)
    marker = await warehouse.confirm("marker", MUG=1)
    await warehouse.wait_for_fulfillment(marker)

    assert await warehouse.fulfillment_of(order_id) is None
    assert (await warehouse.stock("MUG"))["reserved"] == 1


async def test_twenty_confirmed_orders_for_ten_units_reserve_ten_and_backorder_exactly_ten(
    warehouse, names, infrastructure
):
    await warehouse.put_stock("MUG", 10)
    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        orders = [await warehouse.confirm(f"o{i}", MUG=1) for i in range(20)]

        def mine(records):
            return [r for r in records if r.key.decode() in orders]

        await probe.wait_until(
            lambda rs: sum(b"fulfillment.created" in r.value for r in mine(rs)) >= 20
            and sum(b"inventory.backordered" in r.value for r in mine(rs)) >= 10
        )
        records = mine(await probe.settle(0.5))

    assert (await warehouse.stock("MUG")) | {"sku": None} == {
        "warehouse_id": names.warehouse, "sku": None, "on_hand": 10, "reserved": 10, "available": 0
    }
    fulfillments = [await warehouse.fulfillment_of(order_id) for order_id in orders]
    assert sum(sum(q["quantity"] for q in f["reserved"]) for f in fulfillments) == 10
    assert sum(sum(q["quantity"] for q in f["backordered"]) for f in fulfillments) == 10
    backorders = [orjson.loads(r.value) for r in records if b"inventory.backordered" in r.value]
    assert sorted(b["data"]["order_id"] for b in backorders) == sorted(
        f["order_id"] for f in fulfillments if f["backordered"]
    )
    assert all(r.key.decode() == orjson.loads(r.value)["data"]["order_id"] for r in records)


async def test_the_ship_deadline_is_two_business_days_after_placing_or_after_confirming_for_old_events(warehouse):
    friday_3pm = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # confirmed after a payment that took the weekend
    placed = await warehouse.confirm("placed", at=monday, placed_at=friday_3pm, MUG=1)
    legacy = await warehouse.confirm("legacy", at=monday, MUG=1)  # an order.confirmed from before placed_at

    with_placing = await warehouse.wait_for_fulfillment(placed)
    without = await warehouse.wait_for_fulfillment(legacy)

    assert with_placing["ship_deadline"] == "2026-11-24T15:00:00.000Z"  # kpis.md: Friday 15:00 -> Tuesday 15:00
    assert without["ship_deadline"] == "2026-11-25T09:30:00.000Z"
