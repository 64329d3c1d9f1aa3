"""Payment callbacks: only a signed callback from the payments role confirms or holds an order."""

from __future__ import annotations

import time

import orjson
from order_stack import new_key, order_body, outbox_types, place, seed, snapshot
from order_svc.bootstrap import build_app
from order_svc.settings import OrderSettings
from orderpulse.testing.service import TEST_SIGNING_SECRETS, auth, running_app, service_settings, signed


def callback(order: dict, status: str = "authorized", **changes) -> dict:
    return {"order_id": order["order_id"], "status": status, "amount": order["total"], "reference": "pay_42", **changes}


async def pay(client, body: dict):
    raw, headers = signed("payments", body)
    return await client.post("/v1/payments/callbacks", content=raw, headers=headers)


async def test_a_signed_authorization_confirms_and_invoices_a_pending_order(client, db):
    await seed(client)
    order = await place(client, payment_status="pending")
    assert order["status"] == "pending_payment" and order["invoice"] is None
    body, headers = signed("payments", callback(order))

    response = await client.post("/v1/payments/callbacks", content=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"order_id": order["order_id"], "status": "confirmed", "payment_status": "authorized"}
    assert await outbox_types(db, order["order_id"]) == [
        "order.placed.v1",
        "order.payment_authorized.v1",
        "order.confirmed.v1",
        "order.invoiced.v1",
    ]


async def test_a_signed_failure_holds_the_order(client, db):
    await seed(client)
    order = await place(client, payment_status="pending")
    body, headers = signed("payments", callback(order, "failed", reason="card declined"))

    response = await client.post("/v1/payments/callbacks", content=body, headers=headers)

    assert response.json()["status"] == "held"
    held = (await client.get(f"/v1/orders/{order['order_id']}", headers=auth("support"))).json()
    assert held["discrepancies"][0]["code"] == "payment_failed"
    assert (await outbox_types(db, order["order_id"]))[-2:] == ["order.payment_failed.v1", "order.held.v1"]


async def test_unsigned_badly_signed_and_stale_callbacks_are_refused_and_change_nothing(client, db):
    await seed(client)
    order = await place(client, payment_status="pending")
    before = await snapshot(db)
    body, good = signed("payments", callback(order))
    stale_body, stale = signed("payments", callback(order), timestamp=int(time.time()) - 3600)
    carrier_body, carrier_signed = signed("carrier:ups", callback(order))
    attempts = {
        "unsigned": (body, {**auth("payments"), "Content-Type": "application/json"}),
        "signed for another body": (orjson.dumps(callback(order, amount="0.01")), good),
        "signed with a carrier's secret": (carrier_body, {**carrier_signed, **auth("payments")}),
        "older than five minutes": (stale_body, stale),
    }

    for what, (content, headers) in attempts.items():
        response = await client.post("/v1/payments/callbacks", content=content, headers=headers)
        assert response.status_code == 401, what
        assert response.headers["content-type"] == "application/problem+json", what
        assert response.json()["type"].endswith("/bad-signature"), what

    assert await snapshot(db) == before


async def test_a_callback_for_an_unknown_order_is_not_found(client):
    body, headers = signed("payments", callback({"order_id": "ord_unknown", "total": "1.00"}))

    response = await client.post("/v1/payments/callbacks", content=body, headers=headers)

    assert response.status_code == 404 and response.json()["field"] == "order_id"


async def test_without_a_payment_provider_a_pending_order_is_refused_naming_the_setting(infrastructure, clean_schema):
    no_payments = {role: secret for role, secret in TEST_SIGNING_SECRETS.items() if role != "payments"}
    settings = service_settings(OrderSettings, infrastructure, signing_secrets=no_payments)
    async with running_app(build_app(settings)) as client:
        await seed(client)
        response = await client.post(
            "/v1/orders", json=order_body(payment_status="pending"), headers={**auth("storefront"), "Idempotency-Key": new_key()}
        )
        authorized = await place(client, payment_status="authorized")

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"].endswith("/payments-not-configured")
        assert problem["field"] == "payment_status" and problem["setting"] == "ORDERPULSE_SIGNING_SECRETS"
        assert "payments" in problem["detail"]
        assert authorized["status"] == "confirmed"
        listed = await client.get("/v1/customers/cus_1/orders", headers=auth("support"))
        assert [o["order_id"] for o in listed.json()["items"]] == [authorized["order_id"]]  # nothing else was placed
        body, headers = signed("payments", callback(authorized))
        assert (await client.post("/v1/payments/callbacks", content=body, headers=headers)).status_code == 401


async def test_an_authorization_of_another_amount_holds_the_order_until_the_total_is_authorized(client, db):
    await seed(client)
    order = await place(client, payment_status="pending")

    wrong = await pay(client, callback(order) | {"amount": "1.00", "reference": "auth-1"})
    held = (await client.get(f"/v1/orders/{order['order_id']}", headers=auth("support"))).json()
    right = await pay(client, callback(order) | {"reference": "auth-2"})

    assert wrong.status_code == 200 and wrong.json()["status"] == "held"
    assert held["payment_status"] == "pending"
    assert [(d["code"], d["field"]) for d in held["discrepancies"]] == [("payment_amount_mismatch", "amount")]
    assert right.json() == {"order_id": order["order_id"], "status": "confirmed", "payment_status": "authorized"}
    assert await outbox_types(db, order["order_id"]) == [
        "order.placed.v1",
        "order.payment_authorized.v1",
        "order.held.v1",
        "order.payment_authorized.v1",
        "order.released.v1",
        "order.confirmed.v1",
        "order.invoiced.v1",
    ]
