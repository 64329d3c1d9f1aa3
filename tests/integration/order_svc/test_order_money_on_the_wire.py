"""Money on the wire: decimal strings in the currency's minor units (ISO 4217), never JSON numbers."""

from __future__ import annotations

import orjson
from order_stack import new_key, order_body, seed
from orderpulse.testing.service import auth, signed

YEN_TEA = {"name": "Matcha", "unit_price": "1500", "currency": "JPY", "max_quantity": 10}
DINAR_DATES = {"name": "Dates", "unit_price": "2.125", "currency": "KWD", "max_quantity": 10}


async def post_order(client, **changes):
    headers = {**auth("storefront"), "Idempotency-Key": new_key()}
    return await client.post("/v1/orders", json=order_body(**changes), headers=headers)


async def test_amounts_follow_their_currencys_minor_units_in_answers_and_events(client, db):
    await seed(client)
    for sku, item in (("TEA-1", YEN_TEA), ("DATES-1", DINAR_DATES)):
        answer = await client.put(f"/v1/catalog/{sku}", json=item, headers=auth("admin"))
        assert answer.status_code == 201 and answer.json()["unit_price"] == item["unit_price"]

    yen = await post_order(client, lines=[{"sku": "TEA-1", "quantity": 3, "unit_price": "1500"}])
    dinar = await post_order(client, lines=[{"sku": "DATES-1", "quantity": 2, "unit_price": "2.125"}])

    assert yen.status_code == 201, yen.text
    assert (yen.json()["currency"], yen.json()["total"], yen.json()["lines"][0]["unit_price"]) == ("JPY", "4500", "1500")
    assert (dinar.json()["currency"], dinar.json()["total"], dinar.json()["invoice"]["total"]) == ("KWD", "4.250", "4.250")
    again = (await client.get(f"/v1/orders/{yen.json()['order_id']}", headers=auth("support"))).json()
    assert (again["total"], again["subtotal"], again["lines"][0]["unit_price"]) == ("4500", "4500", "1500")
    rows = await db.fetch("SELECT event_type, payload FROM outbox WHERE key = $1 ORDER BY id", yen.json()["order_id"])
    data = {row["event_type"].removeprefix("orderpulse."): orjson.loads(row["payload"])["data"] for row in rows}
    assert data["order.placed.v1"]["total"] == "4500"
    assert data["order.invoiced.v1"]["lines"][0]["unit_price"] == "1500"
    assert (data["order.invoiced.v1"]["subtotal"], data["order.invoiced.v1"]["tax"]) == ("4500", "0")


async def test_a_number_or_more_decimals_than_the_currency_has_is_refused_naming_the_field(client, db):
    await seed(client)
    await client.put("/v1/catalog/TEA-1", json=YEN_TEA, headers=auth("admin"))
    number = await post_order(client, lines=[{"sku": "MUG-1", "quantity": 1, "unit_price": 12.5}])
    yen_cents = await post_order(client, lines=[{"sku": "TEA-1", "quantity": 1, "unit_price": "1500.50"}])
    catalog_number = await client.put("/v1/catalog/MUG-1", json={**YEN_TEA, "unit_price": 1500}, headers=auth("admin"))
    placed = (await post_order(client, payment_status="pending")).json()
    raw, headers = signed("payments", {"order_id": placed["order_id"], "status": "authorized", "amount": 45, "reference": "p"})
    payment_number = await client.post("/v1/payments/callbacks", content=raw, headers=headers)

    for answer, field in (
        (number, "lines[0].unit_price"),
        (yen_cents, "lines[0].unit_price"),
        (catalog_number, "unit_price"),
        (payment_number, "amount"),
    ):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == field
    assert "JPY" in yen_cents.json()["detail"]
