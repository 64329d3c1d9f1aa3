"""Two order-svc replicas against one database: each places orders on its own held copies of
customers and catalog items, and a change made through the other replica (or straight in the
table) is never accepted stale — the placing statement compares the copies with the tables."""

from __future__ import annotations

import pytest
from order_stack import CATALOG, CUSTOMER, new_key, order_body, place, seed
from order_svc.bootstrap import build_app
from orderpulse.testing.service import auth, running_app


@pytest.fixture
async def replicas(settings):
    """Two apps, each with its own process-wide copies, like two replicas behind one load balancer."""
    async with running_app(build_app(settings)) as first, running_app(build_app(settings)) as second:
        yield first, second


async def test_a_price_changed_through_another_replica_holds_an_order_at_the_old_price(replicas, db):
    first, second = replicas
    await seed(first)
    assert (await place(first))["status"] == "confirmed"  # the first replica now holds the catalog

    new_price = {**CATALOG["MUG-1"], "unit_price": "13.00"}
    assert (await second.put("/v1/catalog/MUG-1", json=new_price, headers=auth("admin"))).status_code == 200
    at_old_price = await place(first)

    assert at_old_price["status"] == "held"
    assert [(d["code"], d["field"]) for d in at_old_price["discrepancies"]] == [("price_mismatch", "lines[0].unit_price")]
    stored = await db.fetchval("SELECT status FROM orders WHERE order_id = $1", at_old_price["order_id"])
    assert stored == "held"


async def test_after_a_price_change_the_new_price_is_accepted_by_a_replica_that_held_the_old_one(replicas):
    first, second = replicas
    await seed(first)
    await place(first)

    new_price = {**CATALOG["MUG-1"], "unit_price": "13.00"}
    await second.put("/v1/catalog/MUG-1", json=new_price, headers=auth("admin"))
    lines = [{"sku": "MUG-1", "quantity": 2, "unit_price": "13.00"}, {"sku": "TEE-1", "quantity": 1, "unit_price": "20.00"}]
    order = await place(first, lines=lines)

    assert order["status"] == "confirmed" and order["discrepancies"] == [] and order["subtotal"] == "46.00"


async def test_a_price_changed_in_the_table_directly_is_noticed_too(replicas, db):
    first, _second = replicas
    await seed(first)
    await place(first)

    await db.execute("UPDATE catalog_items SET unit_price = 12.75 WHERE sku = 'MUG-1'")
    order = await place(first)

    assert order["status"] == "held"
    assert order["discrepancies"][0]["code"] == "price_mismatch"


async def test_a_tier_changed_through_another_replica_is_the_tier_of_the_next_order(replicas, db):
    first, second = replicas
    await seed(first)
    assert (await place(first))["customer_tier"] == "vip"

    demoted = {**CUSTOMER, "tier": "standard"}
    assert (await second.put("/v1/customers/cus_1", json=demoted, headers=auth("storefront"))).status_code == 200
    order = await place(first)

    assert order["customer_tier"] == "standard"
    assert await db.fetchval("SELECT customer_tier FROM orders WHERE order_id = $1", order["order_id"]) == "standard"


async def test_a_sku_created_after_a_replica_saw_it_missing_is_known_to_the_next_order(replicas):
    first, second = replicas
    await seed(first)
    cap_line = {"sku": "CAP-1", "quantity": 1, "unit_price": "9.90"}
    unknown = await place(first, lines=[cap_line])
    assert [d["code"] for d in unknown["discrepancies"]] == ["unknown_sku"]

    cap = {"name": "Cap", "unit_price": "9.90", "currency": "USD", "max_quantity": 3}
    assert (await second.put("/v1/catalog/CAP-1", json=cap, headers=auth("admin"))).status_code == 201
    order = await place(first, lines=[cap_line])

    assert order["status"] == "confirmed" and order["discrepancies"] == []


async def test_an_order_decided_again_after_a_change_keeps_its_idempotency_key(replicas, db):
    first, second = replicas
    await seed(first)
    await place(first)
    await second.put("/v1/catalog/MUG-1", json={**CATALOG["MUG-1"], "unit_price": "13.00"}, headers=auth("admin"))
    headers = {**auth("storefront"), "Idempotency-Key": new_key()}

    placed = await first.post("/v1/orders", json=order_body(), headers=headers)
    again = await second.post("/v1/orders", json=order_body(), headers=headers)

    assert placed.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == placed.json()
    assert await db.fetchval("SELECT count(*) FROM orders WHERE status = 'held'") == 1
    placed_events = "SELECT count(*) FROM outbox WHERE event_type = 'orderpulse.order.placed.v1'"
    assert await db.fetchval(placed_events) == 2  # the first order and the held one: none for the outdated decision


async def test_a_customer_unknown_to_a_replica_is_found_once_another_created_it(replicas):
    first, second = replicas
    await seed(first)
    refused = await first.post(
        "/v1/orders", json=order_body(customer_id="cus_2"), headers={**auth("storefront"), "Idempotency-Key": new_key()}
    )
    assert refused.status_code == 422

    await second.put("/v1/customers/cus_2", json=CUSTOMER, headers=auth("storefront"))
    order = await place(first, customer_id="cus_2")

    assert order["customer_id"] == "cus_2" and order["status"] == "confirmed"
