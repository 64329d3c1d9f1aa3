"""Customers and the catalog: a changed profile is published once on the customers topic, keyed by customer."""

from __future__ import annotations

import pytest
from order_stack import CATALOG, CUSTOMER, body_of, outbox_types
from orderpulse.events import CUSTOMERS, validate_data
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.service import auth


@pytest.fixture
async def customers_topic(infrastructure):
    async with TopicProbe(infrastructure.kafka_bootstrap, [CUSTOMERS]) as probe:
        yield probe


async def test_a_new_or_changed_customer_is_published_once_and_an_unchanged_one_not_at_all(client, db, customers_topic):
    created = await client.put("/v1/customers/cus_7", json=CUSTOMER, headers=auth("storefront"))
    unchanged = await client.put("/v1/customers/cus_7", json=CUSTOMER, headers=auth("admin"))
    changed = await client.put("/v1/customers/cus_7", json={**CUSTOMER, "tier": "standard"}, headers=auth("storefront"))

    assert (created.status_code, unchanged.status_code, changed.status_code) == (201, 200, 200)
    assert changed.json()["tier"] == "standard"
    await customers_topic.wait_until(lambda records: len(records) >= 2)
    records = await customers_topic.settle(quiet_s=0.5)
    assert [record.key for record in records] == [b"cus_7", b"cus_7"]
    tiers = []
    for record in records:
        envelope = body_of(record)
        assert envelope["type"] == "orderpulse.customer.upserted.v1"
        assert envelope["subject"] == envelope["partitionkey"] == "cus_7"
        validate_data(envelope["type"], envelope["data"])
        tiers.append(envelope["data"]["tier"])
    assert tiers == ["vip", "standard"]
    assert await outbox_types(db, "cus_7") == ["customer.upserted.v1", "customer.upserted.v1"]
    # customer events are not order lifecycle events
    assert await db.fetchval("SELECT count(*) FROM timeline") == 0


async def test_a_customer_is_read_back_as_stored(client):
    await client.put("/v1/customers/cus_8", json={**CUSTOMER, "account_manager": None}, headers=auth("admin"))

    response = await client.get("/v1/customers/cus_8", headers=auth("support"))

    assert response.status_code == 200
    assert response.json() == {"customer_id": "cus_8", **CUSTOMER, "account_manager": None}


async def test_a_catalog_item_is_created_then_updated(client, db):
    first = await client.put("/v1/catalog/MUG-1", json=CATALOG["MUG-1"], headers=auth("admin"))
    second = await client.put("/v1/catalog/MUG-1", json={**CATALOG["MUG-1"], "unit_price": "13"}, headers=auth("admin"))

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {"sku": "MUG-1", **CATALOG["MUG-1"], "unit_price": "13.00"}
    assert await db.fetchval("SELECT unit_price::text FROM catalog_items WHERE sku = 'MUG-1'") == "13.00"
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0
