"""Placing orders: events on their topic exactly once, entry checks that hold, promises, Idempotency-Key."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import pytest
from order_stack import body_of, new_key, order_body, outbox_types, place, seed, snapshot
from order_svc.entrypoints.views import OrderView
from orderpulse.events import ORDERS, validate_data
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.service import auth

PLACING_EVENTS = ["order.placed.v1", "order.payment_authorized.v1", "order.confirmed.v1", "order.invoiced.v1"]


@pytest.fixture
async def orders_topic(infrastructure):
    async with TopicProbe(infrastructure.kafka_bootstrap, [ORDERS]) as probe:
        yield probe


async def test_a_clean_order_is_confirmed_and_its_events_are_published_once_each(client, db, orders_topic):
    await seed(client)

    order = await place(client)

    assert order["status"] == "confirmed"
    assert OrderView.model_validate(order).model_dump(mode="json") == order  # the documented shape, exactly
    assert order["discrepancies"] == []
    assert order["total"] == "45.00" and order["invoice"]["total"] == "45.00"
    await orders_topic.wait_until(lambda records: len(records) >= len(PLACING_EVENTS))
    records = await orders_topic.settle(quiet_s=0.5)
    assert [body_of(r)["type"] for r in records] == [f"orderpulse.{t}" for t in PLACING_EVENTS]
    for record in records:
        envelope = body_of(record)
        assert record.key == order["order_id"].encode()
        assert envelope["specversion"] == "1.0" and envelope["source"] == "/order-svc"
        assert envelope["subject"] == envelope["partitionkey"] == order["order_id"]
        assert envelope["datacontenttype"] == "application/json"
        assert envelope["time"] == order["placed_at"]
        assert dict(record.headers)["ce_type"] == envelope["type"].encode()
        assert dict(record.headers)["ce_id"] == envelope["id"].encode()
        validate_data(envelope["type"], envelope["data"])
    assert await outbox_types(db, order["order_id"]) == PLACING_EVENTS


async def test_discrepancies_and_a_missing_address_part_hold_the_order_instead_of_refusing_it(client, db):
    await seed(client)

    order = await place(
        client,
        lines=[
            {"sku": "MUG-1", "quantity": 2, "unit_price": "9.99"},
            {"sku": "NOPE-1", "quantity": 1, "unit_price": "1.00"},
            {"sku": "TEE-1", "quantity": 6, "unit_price": "20.00"},
        ],
        ship_to={"country": "GB", "city": "London", "postal_code": "N1 9GU"},
    )

    assert order["status"] == "held"
    assert {(d["code"], d["field"]) for d in order["discrepancies"]} == {
        ("price_mismatch", "lines[0].unit_price"),
        ("unknown_sku", "lines[1].sku"),
        ("quantity_limit", "lines[2].quantity"),
        ("invalid_address", "ship_to.region"),
    }
    assert await outbox_types(db, order["order_id"]) == [
        "order.placed.v1",
        "order.payment_authorized.v1",
        "order.held.v1",
    ]


async def test_two_lines_of_one_sku_above_its_limit_together_hold_the_order(client, db):
    """Found while speeding up fulfillment-svc: each line within the limit, their sum was not
    checked, and fulfillment-svc's per-sku backorder could exceed the events' quantity bound."""
    await seed(client)

    order = await place(
        client,
        lines=[
            {"sku": "TEE-1", "quantity": 3, "unit_price": "20.00"},
            {"sku": "TEE-1", "quantity": 3, "unit_price": "20.00"},
        ],
    )

    assert order["status"] == "held"
    assert [(d["code"], d["field"]) for d in order["discrepancies"]] == [("quantity_limit", "lines[1].quantity")]
    assert "order.confirmed.v1" not in await outbox_types(db, order["order_id"])


async def test_an_order_without_a_country_is_held_for_its_address_and_published_as_given(client, db):
    """Found by the stateful API fuzzing: the event's address refused an empty country (a 500)."""
    await seed(client)

    order = await place(client, ship_to={"region": "London", "city": "London", "postal_code": "N1 9GU"})

    assert order["status"] == "held"
    assert {(d["code"], d["field"]) for d in order["discrepancies"]} == {("invalid_address", "ship_to.country")}
    assert "order.placed.v1" in await outbox_types(db, order["order_id"])


async def test_an_old_requested_at_is_written_with_a_four_digit_year(client):
    """Found by the stateful API fuzzing: the year 544 was written `544-…`, which no event reader accepts."""
    await seed(client)

    order = await place(client, requested_at="0544-06-26T16:20:24Z")

    assert order["requested_at"] == "0544-06-26T16:20:24.000Z"


async def test_lines_totalling_past_the_money_limit_are_refused_naming_lines(client, db):
    """Found by the stateful API fuzzing: such a total could not be published (a 500)."""
    await seed(client)
    before = await snapshot(db)
    huge = [{"sku": "MUG-1", "quantity": 1_000_000, "unit_price": "999999999.99"}] * 6

    response = await client.post("/v1/orders", json=order_body(lines=huge),
                                 headers={**auth("storefront"), "Idempotency-Key": new_key()})

    assert response.status_code == 422
    assert response.json()["field"] == "lines"
    assert await snapshot(db) == before


async def test_an_imported_order_keeps_its_placement_time_and_is_promised_in_business_days(client):
    await seed(client)
    friday_afternoon = "2026-11-20T15:00:00.000Z"

    order = await place(
        client, placed_at=friday_afternoon, requested_at="2026-11-20T14:52:30.000Z", service_level="express"
    )

    assert order["placed_at"] == friday_afternoon
    assert order["requested_at"] == "2026-11-20T14:52:30.000Z"
    # two business days after Friday is Tuesday; the end of that day in the customer's timezone (London, UTC+0 in November)
    assert order["promised_by"] == "2026-11-24T23:59:59.999Z"


async def test_a_storefront_promise_is_kept(client):
    await seed(client)

    order = await place(client, promised_by="2030-01-02T10:00:00+01:00")

    assert order["promised_by"] == "2030-01-02T09:00:00.000Z"


async def test_placing_in_the_future_is_refused_naming_the_field(client, db):
    await seed(client)
    before = await snapshot(db)

    response = await client.post(
        "/v1/orders",
        json=order_body(placed_at="2099-01-01T00:00:00Z"),
        headers={**auth("storefront"), "Idempotency-Key": new_key()},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "placed_at"
    assert await snapshot(db) == before


async def test_an_order_for_an_unknown_customer_is_refused(client, db):
    await seed(client)
    before = await snapshot(db)

    response = await client.post(
        "/v1/orders",
        json=order_body(customer_id="cus_nobody"),
        headers={**auth("storefront"), "Idempotency-Key": new_key()},
    )

    assert response.status_code == 422
    assert response.json()["type"].endswith("/unknown-customer")
    assert response.json()["field"] == "customer_id"
    assert await snapshot(db) == before


async def test_an_order_without_an_idempotency_key_is_refused_naming_the_header(client, db):
    await seed(client)
    before = await snapshot(db)

    response = await client.post("/v1/orders", json=order_body(), headers=auth("storefront"))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in response.json()["field"]
    assert await snapshot(db) == before


async def test_the_same_key_and_body_replays_the_first_answer_and_changes_nothing(client, db):
    await seed(client)
    headers = {**auth("storefront"), "Idempotency-Key": new_key()}
    first = await client.post("/v1/orders", json=order_body(), headers=headers)
    after_first = await snapshot(db)

    again = await client.post("/v1/orders", json=order_body(), headers=headers)

    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await snapshot(db) == after_first


async def test_the_fast_path_and_the_fastapi_route_answer_one_key_alike(client, db):
    # application/json goes the fast path (orderpulse.http.fast_path); a +json type it declines goes to
    # the FastAPI route: the same fingerprint, so each replays the other's first answer
    await seed(client)
    for first_type, then_type in (("application/json", "application/vnd.order+json"),
                                  ("application/vnd.order+json", "application/json")):
        key = {**auth("storefront"), "Idempotency-Key": new_key()}
        body = orjson.dumps(order_body())
        first = await client.post("/v1/orders", content=body, headers={**key, "Content-Type": first_type})
        after_first = await snapshot(db)

        again = await client.post("/v1/orders", content=body, headers={**key, "Content-Type": then_type})

        assert first.status_code == again.status_code == 201
        assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
        assert first.headers["content-type"] == again.headers["content-type"] == "application/json"
        assert await snapshot(db) == after_first
        other = await client.post("/v1/orders", content=orjson.dumps(order_body(channel="mobile")),
                                  headers={**key, "Content-Type": then_type})
        assert other.status_code == 409 and other.json()["type"].endswith("/idempotency-key-reused")


async def test_the_same_key_with_another_body_is_a_conflict(client, db):
    await seed(client)
    headers = {**auth("storefront"), "Idempotency-Key": new_key()}
    await client.post("/v1/orders", json=order_body(), headers=headers)
    after_first = await snapshot(db)

    other = await client.post("/v1/orders", json=order_body(channel="phone"), headers=headers)

    assert other.status_code == 409
    assert other.json()["field"] == "Idempotency-Key"
    assert await snapshot(db) == after_first


async def test_the_same_key_with_another_body_that_would_be_refused_is_still_a_conflict(client, db):
    await seed(client)
    headers = {**auth("storefront"), "Idempotency-Key": new_key()}
    await client.post("/v1/orders", json=order_body(), headers=headers)
    after_first = await snapshot(db)

    other = await client.post("/v1/orders", json=order_body(customer_id="cus_nobody"), headers=headers)

    assert other.status_code == 409
    assert other.json()["field"] == "Idempotency-Key"
    assert await snapshot(db) == after_first


async def test_two_concurrent_requests_with_one_key_create_one_order(client, db):
    await seed(client)
    headers = {**auth("storefront"), "Idempotency-Key": new_key()}

    first, second = await asyncio.gather(
        client.post("/v1/orders", json=order_body(), headers=headers),
        client.post("/v1/orders", json=order_body(), headers=headers),
    )

    assert first.status_code == second.status_code == 201
    assert first.json()["order_id"] == second.json()["order_id"]
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'orderpulse.order.placed.v1'") == 1


async def test_one_key_may_be_used_by_two_callers_for_their_own_orders(client, db):
    """Keys are scoped to the caller: another principal's key is its own."""
    await seed(client)
    key = new_key()

    first = await client.post("/v1/orders", json=order_body(), headers={**auth("storefront"), "Idempotency-Key": key})
    await db.execute("UPDATE idempotency_keys SET principal = 'another-storefront'")
    second = await client.post("/v1/orders", json=order_body(), headers={**auth("storefront"), "Idempotency-Key": key})

    assert first.json()["order_id"] != second.json()["order_id"]


async def test_a_customers_orders_are_listed_newest_first_a_page_at_a_time(client):
    await seed(client)
    placed = [
        await place(client, placed_at=datetime(2026, 11, day, 12, tzinfo=UTC).isoformat()) for day in (17, 19, 18)
    ]

    first_page = (await client.get("/v1/customers/cus_1/orders?limit=2", headers=auth("support"))).json()
    second_page = (
        await client.get(
            f"/v1/customers/cus_1/orders?limit=2&cursor={first_page['next_cursor']}", headers=auth("support")
        )
    ).json()

    newest_first = [placed[1]["order_id"], placed[2]["order_id"], placed[0]["order_id"]]
    assert [o["order_id"] for o in first_page["items"] + second_page["items"]] == newest_first
    assert second_page["next_cursor"] is None
