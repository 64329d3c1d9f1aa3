"""Packing checks the documents; dispatch refuses a package whose documents disagree unless overridden."""

from __future__ import annotations

import orjson
from orderpulse.events import FULFILLMENT, validate_data
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.service import auth


async def open_order(warehouse, **quantities) -> dict:
    for name in quantities:
        await warehouse.put_stock(name, 100)
    order_id = await warehouse.confirm("a", **quantities)
    return await warehouse.wait_for_fulfillment(order_id)


async def test_documents_that_match_the_package_report_no_discrepancy_and_dispatch_goes_through(warehouse, names):
    fulfillment = await open_order(warehouse, MUG=2, TEE=1)

    packed = await warehouse.pack(fulfillment["fulfillment_id"], MUG=2, TEE=1)

    assert packed.status_code == 201, packed.text
    assert packed.json()["document_discrepancies"] == []
    sent = await warehouse.dispatch(fulfillment["fulfillment_id"], packed.json()["shipment_id"], "1")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "dispatched"
    assert sent.json()["fulfillment_status"] == "dispatched"
    assert (await warehouse.stock("MUG")) | {"sku": None} == {
        "warehouse_id": names.warehouse, "sku": None, "on_hand": 98, "reserved": 0, "available": 98
    }


async def test_the_document_checks_catch_a_wrong_total_a_missing_line_and_a_quantity_mismatch(warehouse, names):
    fulfillment = await open_order(warehouse, MUG=2, TEE=1)
    documents = [
        {"kind": "invoice", "ref": "INV-9", "lines": warehouse.sku_lines(MUG=2, TEE=1), "total": "99.00"},
        {"kind": "packing_slip", "ref": "PS-9", "lines": warehouse.sku_lines(MUG=2)},
        {"kind": "customs", "ref": "CN-9", "lines": warehouse.sku_lines(MUG=3, TEE=1)},
    ]

    packed = await warehouse.pack(fulfillment["fulfillment_id"], documents=documents, MUG=2, TEE=1)

    assert packed.status_code == 201, packed.text
    found = {(d["kind"], d["detail"]) for d in packed.json()["document_discrepancies"]}
    assert found == {
        ("total_mismatch", "invoice INV-9 totals 99.00, the packed lines at the order's prices come to 45.00"),
        ("missing_line", f"packing_slip PS-9 does not list {names.sku('TEE')} (1 packed)"),
        ("quantity_mismatch", f"customs CN-9 lists 3 × {names.sku('MUG')}, 2 packed"),
    }
    assert packed.json()["dispatch_requires_override"] is True


async def test_a_package_without_documents_is_itself_a_discrepancy(warehouse):
    fulfillment = await open_order(warehouse, MUG=1)

    packed = await warehouse.pack(fulfillment["fulfillment_id"], documents=[], MUG=1)

    assert [d["kind"] for d in packed.json()["document_discrepancies"]] == ["missing_documents"]


async def test_dispatch_of_a_package_with_discrepancies_is_refused_and_changes_nothing(warehouse, names):
    fulfillment = await open_order(warehouse, MUG=2)
    packed = await warehouse.pack(fulfillment["fulfillment_id"], documents=[], MUG=2)

    refused = await warehouse.dispatch(fulfillment["fulfillment_id"], packed.json()["shipment_id"], "1")

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/dispatch-blocked-by-discrepancies")
    assert refused.json()["field"] == "override"
    assert refused.json()["document_discrepancies"][0]["kind"] == "missing_documents"
    assert (await warehouse.fulfillment_of(fulfillment["order_id"]))["status"] == "packing"
    assert (await warehouse.stock("MUG"))["reserved"] == 2


async def test_dispatch_with_override_sends_the_package_and_publishes_what_was_wrong(warehouse, names, infrastructure):
    fulfillment = await open_order(warehouse, MUG=2)
    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        packed = await warehouse.pack(fulfillment["fulfillment_id"], documents=[], MUG=2)
        sent = await warehouse.dispatch(
            fulfillment["fulfillment_id"], packed.json()["shipment_id"], "1", override=True, shipping_cost="4.90"
        )
        records = await probe.wait_until(
            lambda rs: any(b"shipment.dispatched" in r.value and r.key == fulfillment["order_id"].encode() for r in rs)
        )

    assert sent.status_code == 200, sent.text
    assert sent.json()["dispatched_with_override"] is True
    events = {orjson.loads(r.value)["type"]: orjson.loads(r.value) for r in records if r.key == fulfillment["order_id"].encode()}
    packed_event = events["orderpulse.fulfillment.packed.v1"]["data"]
    assert packed_event["document_discrepancies"] == [{"kind": "missing_documents", "detail": "the package has no documents"}]
    dispatched = events["orderpulse.shipment.dispatched.v1"]["data"]
    validate_data("shipment.dispatched.v1", dispatched)
    assert dispatched["carrier"] == "dhl"
    assert dispatched["tracking_number"] == names.tracking("1")
    assert dispatched["shipping_cost"] == "4.90"
    assert dispatched["eta"] is not None
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in dispatched["lines"]] == [
        (names.sku("MUG"), 2, "12.50")
    ]


async def test_packing_again_under_the_same_shipment_id_fixes_the_documents(warehouse):
    fulfillment = await open_order(warehouse, MUG=2)
    first = await warehouse.pack(fulfillment["fulfillment_id"], documents=[], MUG=2)
    shipment_id = first.json()["shipment_id"]

    again = await warehouse.client.post(
        f"/v1/fulfillments/{fulfillment['fulfillment_id']}/pack",
        json={"shipment_id": shipment_id, "lines": warehouse.sku_lines(MUG=2), "documents": warehouse.documents(MUG=2)},
        headers=auth("warehouse"),
    )

    assert again.status_code == 200, again.text
    assert again.json()["shipment_id"] == shipment_id
    assert again.json()["document_discrepancies"] == []
    assert (await warehouse.dispatch(fulfillment["fulfillment_id"], shipment_id, "1")).status_code == 200


async def test_packing_more_than_is_reserved_is_refused(warehouse):
    await warehouse.put_stock("MUG", 1)
    order_id = await warehouse.confirm("a", MUG=3)
    fulfillment = await warehouse.wait_for_fulfillment(order_id)

    refused = await warehouse.pack(fulfillment["fulfillment_id"], MUG=2)

    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/pack-exceeds-reserved")
    assert refused.json()["field"] == "lines.quantity"
    assert (await warehouse.fulfillment_of(order_id))["shipments"] == []


async def test_a_shipment_id_of_another_fulfillment_cannot_be_packed_again(warehouse):
    await warehouse.put_stock("MUG", 10)
    first = await warehouse.wait_for_fulfillment(await warehouse.confirm("a", MUG=1))
    second = await warehouse.wait_for_fulfillment(await warehouse.confirm("b", MUG=1))
    shipment_id = (await warehouse.pack(first["fulfillment_id"], MUG=1)).json()["shipment_id"]

    refused = await warehouse.client.post(
        f"/v1/fulfillments/{second['fulfillment_id']}/pack",
        json={"shipment_id": shipment_id, "lines": warehouse.sku_lines(MUG=1), "documents": warehouse.documents(MUG=1)},
        headers=auth("warehouse"),
    )

    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/shipment-id-in-use")


async def test_a_tracking_number_cannot_be_used_twice_by_one_carrier(warehouse):
    await warehouse.put_stock("MUG", 10)
    first = await warehouse.wait_for_fulfillment(await warehouse.confirm("a", MUG=1))
    second = await warehouse.wait_for_fulfillment(await warehouse.confirm("b", MUG=1))
    await warehouse.ship(first["fulfillment_id"], "same", MUG=1)
    packed = await warehouse.pack(second["fulfillment_id"], MUG=1)

    refused = await warehouse.dispatch(second["fulfillment_id"], packed.json()["shipment_id"], "same")
    other_carrier = await warehouse.dispatch(second["fulfillment_id"], packed.json()["shipment_id"], "same", carrier="ups")

    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/tracking-number-in-use")
    assert other_carrier.status_code == 200


async def test_closing_short_releases_the_reservation_and_completes_at_once_when_nothing_is_in_flight(
    warehouse, infrastructure
):
    fulfillment = await open_order(warehouse, MUG=2)
    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        closed = await warehouse.client.post(
            f"/v1/fulfillments/{fulfillment['fulfillment_id']}/close",
            json={"reason": "discontinued"},
            headers=auth("warehouse"),
        )
        records = await probe.wait_until(
            lambda rs: any(b"fulfillment.completed" in r.value and r.key == fulfillment["order_id"].encode() for r in rs)
        )

    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed_short"
    assert (await warehouse.stock("MUG"))["reserved"] == 0
    completed = next(orjson.loads(r.value)["data"] for r in records if b"fulfillment.completed" in r.value)
    assert completed["closed_short"] is True
    assert completed["shipments"] == 0
    assert completed["lines_delivered"] == []
