"""order-svc follows fulfillment from the topic: status forward only, and every event in the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from order_stack import (
    created,
    delivered,
    dispatched,
    in_transit,
    notification_sent,
    order_status,
    place,
    publish,
    seed,
    survey_requested,
    timeline_ids,
)
from orderpulse.events import new_envelope
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth


def at(order: dict, hours: float) -> datetime:
    return datetime.fromisoformat(order["placed_at"]) + timedelta(hours=hours)


async def status_becomes(client, order_id: str, wanted: str) -> None:
    async def reached():
        return await order_status(client, order_id) == wanted

    await eventually(reached)


async def timeline_holds(client, order_id: str, *envelopes) -> list[str]:
    wanted = {envelope.id for envelope in envelopes}

    async def arrived():
        ids = await timeline_ids(client, order_id)
        return ids if wanted <= set(ids) else None

    return await eventually(arrived)


async def test_the_status_follows_fulfillment_events_step_by_step(client, producer):
    await seed(client)
    order = await place(client)
    oid = order["order_id"]

    await publish(producer, created(order, at(order, 1)))
    await status_becomes(client, oid, "in_fulfillment")
    await publish(producer, dispatched(order, "shp_1", at(order, 2), ("MUG-1", 2)))
    await status_becomes(client, oid, "partially_shipped")
    await publish(producer, dispatched(order, "shp_2", at(order, 3), ("TEE-1", 1)))
    await status_becomes(client, oid, "shipped")
    await publish(
        producer,
        delivered(order, "shp_1", at(order, 30), ("MUG-1", 2)),
        delivered(order, "shp_2", at(order, 31), ("TEE-1", 1)),
    )
    await status_becomes(client, oid, "delivered")

    shipments = (await client.get(f"/v1/orders/{oid}", headers=auth("storefront"))).json()["shipments"]
    assert {(s["shipment_id"], s["status"], s["carrier"]) for s in shipments} == {
        ("shp_1", "delivered", "ups"),
        ("shp_2", "delivered", "ups"),
    }


async def test_late_and_out_of_order_events_never_move_the_status_backwards(client, producer):
    await seed(client)
    order = await place(client)
    oid = order["order_id"]
    delivery = delivered(order, "shp_1", at(order, 30))
    await publish(producer, delivery)
    await status_becomes(client, oid, "delivered")

    late = [
        created(order, at(order, 1)),
        dispatched(order, "shp_1", at(order, 2)),
        in_transit(order, "shp_1", at(order, 5)),
    ]
    await publish(producer, *late)
    await timeline_holds(client, oid, *late)

    assert await order_status(client, oid) == "delivered"
    shipment = (await client.get(f"/v1/orders/{oid}", headers=auth("support"))).json()["shipments"][0]
    assert shipment["status"] == "delivered" and shipment["tracking_number"] == "1Zshp_1"


async def test_a_cancelled_order_stays_cancelled_whatever_fulfillment_reports(client, producer):
    await seed(client)
    order = await place(client)
    oid = order["order_id"]
    cancelled = await client.post(f"/v1/orders/{oid}/cancel", json={"reason": "changed mind"}, headers=auth("support"))
    assert cancelled.status_code == 200

    report = created(order, at(order, 1))
    await publish(producer, report)
    await timeline_holds(client, oid, report)

    assert await order_status(client, oid) == "cancelled"


async def test_the_timeline_shows_every_services_events_in_event_time_order_once_each(client, producer):
    await seed(client)
    order = await place(client)
    oid = order["order_id"]
    shipped = dispatched(order, "shp_1", at(order, 2))
    told = notification_sent(order, at(order, 2.5))
    arrived = delivered(order, "shp_1", at(order, 30))
    surveyed = survey_requested(order, at(order, 31))
    opened = created(order, at(order, 1))
    # published out of event-time order, across three topics, and one of them twice
    await publish(producer, surveyed, arrived, told, shipped, opened, shipped)
    ids = await timeline_holds(client, oid, surveyed, arrived, told, shipped, opened)

    entries = (await client.get(f"/v1/orders/{oid}/timeline", headers=auth("storefront"))).json()["items"]

    assert [entry["type"].removeprefix("orderpulse.") for entry in entries] == [
        "order.placed.v1",
        "order.payment_authorized.v1",
        "order.confirmed.v1",
        "order.invoiced.v1",
        "fulfillment.created.v1",
        "shipment.dispatched.v1",
        "notification.sent.v1",
        "shipment.delivered.v1",
        "survey.requested.v1",
    ]
    assert len(ids) == len(set(ids))
    times = [entry["occurred_at"] for entry in entries]
    assert times == sorted(times)
    assert {entry["source"] for entry in entries} == {"/order-svc", "/fulfillment-svc", "/notify-svc", "/feedback-svc"}


async def test_the_timeline_is_read_a_page_at_a_time(client, producer):
    await seed(client)
    order = await place(client)
    oid = order["order_id"]

    first = (await client.get(f"/v1/orders/{oid}/timeline?limit=3", headers=auth("support"))).json()
    rest = (
        await client.get(f"/v1/orders/{oid}/timeline?limit=3&cursor={first['next_cursor']}", headers=auth("support"))
    ).json()

    assert len(first["items"]) == 3 and len(rest["items"]) == 1
    assert [e["event_id"] for e in first["items"] + rest["items"]] == await timeline_ids(client, oid)


async def test_events_of_the_same_millisecond_keep_the_order_they_arrived_in(client, producer):
    await seed(client)
    order = await place(client)
    oid = order["order_id"]
    opened = created(order, at(order, 0))  # fulfillment-svc stamps it with the confirmation's time
    await publish(producer, opened)
    await timeline_holds(client, oid, opened)

    entries = (await client.get(f"/v1/orders/{oid}/timeline", headers=auth("support"))).json()["items"]

    assert [entry["type"] for entry in entries][-2:] == [
        "orderpulse.order.invoiced.v1",
        "orderpulse.fulfillment.created.v1",
    ]
    assert {entry["occurred_at"] for entry in entries} == {order["placed_at"]}


async def test_a_warehouse_stock_adjustment_on_the_fulfillment_topic_is_ignored_not_dead_lettered(
    client, producer, db, infrastructure
):
    await seed(client)
    order = await place(client)
    adjusted = new_envelope(
        type="inventory.adjusted.v1",
        source="/fulfillment-svc",
        key="wh_1",
        data={"warehouse_id": "wh_1", "sku": "MUG-1", "on_hand_before": 5, "on_hand_after": 2, "reason": "shrinkage"},
    )
    async with TopicProbe(infrastructure.kafka_bootstrap, ["orderpulse.dlq.order-svc"]) as dead_letters:
        await publish(producer, adjusted, created(order, at(order, 1)))
        await status_becomes(client, order["order_id"], "in_fulfillment")

        async def claimed():
            return await db.fetchval("SELECT count(*) FROM processed_events WHERE event_id = $1", adjusted.id)

        await eventually(claimed)
        await dead_letters.settle(quiet_s=0.5)
        assert not [r for r in dead_letters.records if adjusted.id.encode() in r.value]
