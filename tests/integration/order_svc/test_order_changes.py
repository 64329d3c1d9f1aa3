"""Corrections, cancellations and returns: the events of each change once, and none when it is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import pytest
from order_stack import (
    body_of,
    delivered,
    dispatched,
    new_key,
    order_status,
    outbox_types,
    place,
    publish,
    seed,
    snapshot,
)
from orderpulse.events import ORDERS
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth


def at(order: dict, hours: float) -> datetime:
    return datetime.fromisoformat(order["placed_at"]) + timedelta(hours=hours)


async def delivered_order(client, producer) -> dict:
    order = await place(client)
    await publish(producer, dispatched(order, "shp_1", at(order, 1)), delivered(order, "shp_1", at(order, 20)))

    async def is_delivered():
        return await order_status(client, order["order_id"]) == "delivered"

    await eventually(is_delivered)
    return order


async def test_a_correction_that_fixes_every_discrepancy_releases_and_confirms_the_order(client, db):
    await seed(client)
    held = await place(client, lines=[{"sku": "MUG-1", "quantity": 2, "unit_price": "9.99"}])
    assert held["status"] == "held"

    response = await client.post(
        f"/v1/orders/{held['order_id']}/corrections",
        json={"lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": "12.50"}], "reason": "price typed wrong"},
        headers=auth("support"),
    )

    assert response.status_code == 200, response.text
    order = response.json()
    assert order["status"] == "confirmed" and order["discrepancies"] == []
    assert order["invoice"]["total"] == "25.00"
    assert order["corrections"][0]["field"] == "lines"
    assert (await outbox_types(db, held["order_id"]))[-4:] == [
        "order.corrected.v1",
        "order.released.v1",
        "order.confirmed.v1",
        "order.invoiced.v1",
    ]


async def test_a_correction_of_a_missing_address_part_releases_the_hold(client):
    await seed(client)
    held = await place(client, ship_to={"country": "GB", "city": "London", "postal_code": "N1 9GU"})

    response = await client.post(
        f"/v1/orders/{held['order_id']}/corrections",
        json={
            "ship_to": {"country": "GB", "region": "London", "city": "London", "postal_code": "N1 9GU"},
            "reason": "asked",
        },
        headers=auth("storefront"),
    )

    assert response.json()["status"] == "confirmed"


async def test_cancelling_records_who_cancelled_it(client, db):
    await seed(client)
    order = await place(client)

    response = await client.post(
        f"/v1/orders/{order['order_id']}/cancel", json={"reason": "changed mind"}, headers=auth("support")
    )

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    payload = await db.fetchval("SELECT payload FROM outbox WHERE event_type = 'orderpulse.order.cancelled.v1'")
    assert orjson.loads(payload)["data"] == {
        "order_id": order["order_id"],
        "reason": "changed mind",
        "cancelled_by": "support",
    }


async def test_a_cancel_retried_with_its_key_is_answered_again_without_a_second_event(client, db):
    await seed(client)
    order = await place(client)
    headers = {**auth("storefront"), "Idempotency-Key": new_key()}

    first = await client.post(f"/v1/orders/{order['order_id']}/cancel", json={"reason": "dup"}, headers=headers)
    again = await client.post(f"/v1/orders/{order['order_id']}/cancel", json={"reason": "dup"}, headers=headers)
    other = await client.post(f"/v1/orders/{order['order_id']}/cancel", json={"reason": "other"}, headers=headers)

    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert (await outbox_types(db, order["order_id"])).count("order.cancelled.v1") == 1


async def test_returns_are_accepted_for_delivered_units_only(client, producer, db):
    await seed(client)
    order = await delivered_order(client, producer)
    oid = order["order_id"]

    accepted = await client.post(
        f"/v1/orders/{oid}/returns",
        json={"lines": [{"sku": "MUG-1", "quantity": 1}], "reason": "damaged", "kind": "refund"},
        headers=auth("support"),
    )
    before = await snapshot(db)
    too_many = await client.post(
        f"/v1/orders/{oid}/returns",
        json={"lines": [{"sku": "MUG-1", "quantity": 2}], "reason": "damaged", "kind": "refund"},
        headers=auth("support"),
    )

    assert accepted.status_code == 201
    assert accepted.json()["return_id"].startswith("ret_") and accepted.json()["lines"] == [
        {"sku": "MUG-1", "quantity": 1}
    ]
    assert too_many.status_code == 422 and too_many.json()["field"] == "lines[0].quantity"
    assert await snapshot(db) == before
    assert (await outbox_types(db, oid)).count("return.requested.v1") == 1


@pytest.fixture
async def orders_topic(infrastructure):
    async with TopicProbe(infrastructure.kafka_bootstrap, [ORDERS]) as probe:
        yield probe


async def test_refused_changes_change_nothing_and_publish_nothing(client, producer, db, orders_topic):
    await seed(client)
    dispatched_order = (await delivered_order(client, producer))["order_id"]
    confirmed_order = (await place(client))["order_id"]
    await orders_topic.wait_until(lambda records: len(records) >= 8)
    await orders_topic.settle(quiet_s=0.3)
    orders_topic.records.clear()
    before = await snapshot(db)

    cancel = await client.post(
        f"/v1/orders/{dispatched_order}/cancel", json={"reason": "late"}, headers=auth("storefront")
    )
    correction = await client.post(
        f"/v1/orders/{dispatched_order}/corrections",
        json={"ship_to": {"country": "FR"}, "reason": "moved"},
        headers=auth("support"),
    )
    early_return = await client.post(
        f"/v1/orders/{confirmed_order}/returns",
        json={"lines": [{"sku": "MUG-1", "quantity": 1}], "reason": "damaged", "kind": "refund"},
        headers=auth("storefront"),
    )

    assert cancel.status_code == 409 and cancel.json()["type"].endswith("/cannot-cancel-dispatched")
    assert correction.status_code == 409 and correction.json()["type"].endswith("/correction-after-packing")
    assert early_return.status_code == 409 and early_return.json()["type"].endswith("/return-not-allowed")
    assert await snapshot(db) == before
    # a change that is accepted afterwards is the only thing published since
    await client.post(f"/v1/orders/{confirmed_order}/cancel", json={"reason": "marker"}, headers=auth("storefront"))
    await orders_topic.wait_until(lambda records: len(records) >= 1)
    records = await orders_topic.settle(quiet_s=0.5)
    assert [(body_of(r)["type"], body_of(r)["subject"]) for r in records] == [
        ("orderpulse.order.cancelled.v1", confirmed_order)
    ]


async def test_a_confirmed_order_cannot_be_corrected_into_a_held_one(client, db):
    await seed(client)
    order = await place(client)
    before = await snapshot(db)

    response = await client.post(
        f"/v1/orders/{order['order_id']}/corrections",
        json={"lines": [{"sku": "MUG-1", "quantity": 50, "unit_price": "12.50"}], "reason": "more"},
        headers=auth("storefront"),
    )

    assert response.status_code == 422
    assert response.json()["field"] == "lines[0].quantity"
    assert response.json()["discrepancies"][0]["code"] == "quantity_limit"
    assert await snapshot(db) == before


async def test_each_correction_of_a_confirmed_order_reissues_the_invoice_and_the_last_one_is_in_force(client, db):
    await seed(client)
    order = await place(client)
    oid = order["order_id"]

    for quantity, occurred_at in ((1, None), (3, order["placed_at"])):  # the second told with an earlier time
        response = await client.post(
            f"/v1/orders/{oid}/corrections",
            json={
                "lines": [{"sku": "MUG-1", "quantity": quantity, "unit_price": "12.50"}],
                "reason": "customer called",
                "occurred_at": occurred_at,
            },
            headers=auth("storefront"),
        )
        assert response.status_code == 200, response.text

    current = (await client.get(f"/v1/orders/{oid}", headers=auth("support"))).json()
    assert current["status"] == "confirmed"
    assert current["invoice"]["invoice_id"].endswith("_3") and current["invoice"]["total"] == "37.50"
    assert (await outbox_types(db, oid)).count("order.invoiced.v1") == 3
    assert (await outbox_types(db, oid)).count("order.confirmed.v1") == 3
