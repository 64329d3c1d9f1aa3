"""Corrections while a warehouse has the order: accepted until it is packed, and a correction that
reaches the warehouse after packing is reported as not applied (status, timeline and events)."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from order_stack import HOME, created, event, outbox_types, place, publish, seed
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth

BROOKLYN = {**HOME, "city": "Brooklyn"}


def at(order: dict, minutes: float) -> datetime:
    return datetime.fromisoformat(order["placed_at"]) + timedelta(minutes=minutes)


def packed(order: dict, moment: datetime):
    return event(
        "fulfillment.packed.v1",
        order["order_id"],
        moment,
        fulfillment_id=f"ful_{order['order_id']}",
        shipment_id="shp_1",
        lines=[{"sku": line["sku"], "quantity": line["quantity"]} for line in order["lines"]],
        documents=[{"kind": "invoice", "ref": "INV-1"}],
        document_discrepancies=[],
    )


async def read(client, order_id: str) -> dict:
    response = await client.get(f"/v1/orders/{order_id}", headers=auth("support"))
    assert response.status_code == 200, response.text
    return response.json()


async def correct(client, order_id: str, body: dict):
    return await client.post(f"/v1/orders/{order_id}/corrections", json=body, headers=auth("support"))


async def in_fulfillment(client, producer) -> dict:
    order = await place(client)
    await publish(producer, created(order, at(order, 1)))

    async def taken_up():
        return (await read(client, order["order_id"]))["status"] == "in_fulfillment"

    await eventually(taken_up)
    return order


async def test_a_correction_in_fulfillment_is_applied_when_the_warehouse_answers_it(client, producer, db):
    await seed(client)
    order = await in_fulfillment(client, producer)
    oid = order["order_id"]

    response = await correct(client, oid, {"ship_to": BROOKLYN, "reason": "typo in the city"})
    assert response.status_code == 200, response.text
    assert response.json()["corrections"][0]["outcome"] == "awaiting_warehouse"
    confirmation = (await db.fetch(
        "SELECT payload FROM outbox WHERE key = $1 AND event_type LIKE '%order.confirmed%' ORDER BY id", oid
    ))[-1]
    data = orjson.loads(confirmation["payload"])["data"]
    assert data["placed_at"] == order["placed_at"] and data["ship_to"]["city"] == "Brooklyn"

    await publish(producer, created(order, at(order, 2)))  # fulfillment-svc re-planned the order

    async def applied():
        return (await read(client, oid))["corrections"][0]["outcome"] == "applied"

    await eventually(applied)
    assert (await read(client, oid))["ship_to"]["city"] == "Brooklyn"


async def test_a_correction_that_loses_the_race_with_packing_is_reported_not_applied(client, producer, db):
    await seed(client)
    order = await in_fulfillment(client, producer)
    oid = order["order_id"]
    more_mugs = [{"sku": "MUG-1", "quantity": 5, "unit_price": "12.50"}, {"sku": "TEE-1", "quantity": 1, "unit_price": "20.00"}]

    accepted = await correct(client, oid, {"lines": more_mugs, "reason": "customer wants more"})
    assert accepted.status_code == 200, accepted.text
    # the warehouse had packed before it read the re-confirmation: it answers with no fulfillment.created
    await publish(producer, packed(order, at(order, 1.5)))

    async def reported():
        current = await read(client, oid)
        return current if [c["outcome"] for c in current["corrections"]] == ["not_applied", "restored"] else None

    current = await eventually(reported)
    assert [(line["sku"], line["quantity"]) for line in current["lines"]] == [("MUG-1", 2), ("TEE-1", 1)]
    assert current["invoice"]["total"] == order["total"]  # the invoice in force is for what ships
    timeline = (await client.get(f"/v1/orders/{oid}/timeline", headers=auth("support"))).json()["items"]
    restore = [e for e in timeline if e["type"].endswith("order.corrected.v1")][-1]
    assert "not applied" in restore["data"]["corrections"][0]["reason"]
    assert timeline[-1]["event_id"] == restore["event_id"] or timeline[-1]["type"].endswith("order.invoiced.v1")
    assert (await outbox_types(db, oid)).count("order.corrected.v1") == 2

    refused = await correct(client, oid, {"ship_to": BROOKLYN, "reason": "too late"})
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/correction-after-packing")
    assert "packed" in refused.json()["detail"]
