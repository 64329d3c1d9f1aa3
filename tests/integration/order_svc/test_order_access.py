"""Who may call what (api.md's table, every route x every role) and what bad input gets: a problem
naming the field, and nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from order_stack import (
    CATALOG,
    CUSTOMER,
    HOME,
    delivered,
    dispatched,
    new_key,
    order_body,
    order_status,
    place,
    publish,
    seed,
    snapshot,
)
from orderpulse.http.signatures import signed_headers
from orderpulse.testing.api_roles import ORDER_SVC, SIGNED
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import ROLES, TEST_SIGNING_SECRETS, auth, signed

ALLOWED = {f"{method} {template}": roles - {SIGNED} for (method, template), roles in ORDER_SVC.items()}
SOON = (datetime.now(UTC) + timedelta(hours=1)).isoformat()


async def delivered_order(client, producer) -> dict:
    order = await place(client)
    at = datetime.fromisoformat(order["placed_at"])
    await publish(
        producer, dispatched(order, "shp_1", at + timedelta(hours=1)), delivered(order, "shp_1", at + timedelta(days=1))
    )

    async def is_delivered():
        return await order_status(client, order["order_id"]) == "delivered"

    await eventually(is_delivered)
    return order


async def test_the_matrix_covers_every_route_of_the_service(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    routes = {
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if path.startswith("/v1/")
    }
    assert routes == set(ALLOWED)


async def test_only_the_roles_in_the_api_table_may_call_each_route(client, producer):
    await seed(client)
    to_cancel = await place(client)
    to_return = await delivered_order(client, producer)
    pending = await place(client, payment_status="pending")
    payment = {
        "order_id": pending["order_id"],
        "status": "authorized",
        "amount": pending["total"],
        "reference": "pay_1",
    }
    requests = {
        "PUT /v1/customers/{customer_id}": ("/v1/customers/cus_1", CUSTOMER),
        "GET /v1/customers/{customer_id}": ("/v1/customers/cus_1", None),
        "GET /v1/customers/{customer_id}/orders": ("/v1/customers/cus_1/orders", None),
        "PUT /v1/catalog/{sku}": ("/v1/catalog/MUG-1", CATALOG["MUG-1"]),
        "POST /v1/orders": ("/v1/orders", order_body()),
        "GET /v1/orders/{order_id}": (f"/v1/orders/{to_cancel['order_id']}", None),
        "GET /v1/orders/{order_id}/timeline": (f"/v1/orders/{to_cancel['order_id']}/timeline", None),
        "POST /v1/orders/{order_id}/corrections": (
            f"/v1/orders/{to_cancel['order_id']}/corrections",
            {"ship_to": HOME, "reason": "double-checked"},
        ),
        "POST /v1/orders/{order_id}/cancel": (f"/v1/orders/{to_cancel['order_id']}/cancel", {"reason": "asked"}),
        "POST /v1/orders/{order_id}/returns": (
            f"/v1/orders/{to_return['order_id']}/returns",
            {"lines": [{"sku": "MUG-1", "quantity": 1}], "reason": "changed_mind", "kind": "refund"},
        ),
        "POST /v1/payments/callbacks": ("/v1/payments/callbacks", payment),
    }
    answers = {}
    for route, (path, body) in requests.items():
        method = route.split()[0]
        for role in (*ROLES, None):
            headers = {"Idempotency-Key": new_key()}
            content = None if body is None else orjson.dumps(body)
            if content is not None:
                headers["Content-Type"] = "application/json"
                if route.endswith("/callbacks"):
                    content, signature = signed("payments", body)
                    headers.update(signature)
            if role is not None:
                headers.update(auth(role))
            else:
                headers.pop("Authorization", None)
            response = await client.request(method, path, content=content, headers=headers)
            answers[(route, role)] = response.status_code

    expected = {
        (route, role): ("2xx" if role in ALLOWED[route] else 403 if role is not None else 401)
        for route in ALLOWED
        for role in (*ROLES, None)
    }
    actual = {key: ("2xx" if 200 <= status < 300 else status) for key, status in answers.items()}
    assert actual == expected


BAD_REQUESTS = {
    "PUT /v1/customers/{customer_id}": [
        ("/v1/customers/cus_1", {**CUSTOMER, "tier": "gold"}, 422, "tier"),
        ("/v1/customers/cus_1", {k: v for k, v in CUSTOMER.items() if k != "email"}, 422, "email"),
        ("/v1/customers/cus_1", {**CUSTOMER, "email": "not-an-address"}, 422, "email"),
        ("/v1/customers/cus_1", {**CUSTOMER, "timezone": "Mars/Olympus"}, 422, "timezone"),
        ("/v1/customers/cus_1", {**CUSTOMER, "occurred_at": SOON}, 422, "occurred_at"),
        ("/v1/customers/has%20space", CUSTOMER, 422, "customer_id"),
    ],
    "GET /v1/customers/{customer_id}": [("/v1/customers/cus_nobody", None, 404, "customer_id")],
    "GET /v1/customers/{customer_id}/orders": [
        ("/v1/customers/cus_1/orders?limit=0", None, 422, "limit"),
        ("/v1/customers/cus_1/orders?limit=1000", None, 422, "limit"),
        ("/v1/customers/cus_1/orders?cursor=not-a-cursor", None, 400, "cursor"),
    ],
    "PUT /v1/catalog/{sku}": [
        ("/v1/catalog/MUG-1", {**CATALOG["MUG-1"], "unit_price": "12.505"}, 422, "unit_price"),
        ("/v1/catalog/MUG-1", {**CATALOG["MUG-1"], "unit_price": "-1"}, 422, "unit_price"),
        ("/v1/catalog/MUG-1", {**CATALOG["MUG-1"], "max_quantity": 0}, 422, "max_quantity"),
        ("/v1/catalog/MUG-1", {**CATALOG["MUG-1"], "currency": "dollars"}, 422, "currency"),
    ],
    "POST /v1/orders": [
        ("/v1/orders", order_body(lines=[]), 422, "lines"),
        (
            "/v1/orders",
            order_body(lines=[{"sku": "MUG-1", "quantity": 0, "unit_price": "12.50"}]),
            422,
            "lines[0].quantity",
        ),
        (
            "/v1/orders",
            order_body(lines=[{"sku": "MUG-1", "quantity": 1, "unit_price": "cheap"}]),
            422,
            "lines[0].unit_price",
        ),
        ("/v1/orders", order_body(channel="fax"), 422, "channel"),
        ("/v1/orders", order_body(service_level="yesterday"), 422, "service_level"),
        ("/v1/orders", order_body(payment_status="failed"), 422, "payment_status"),
        ("/v1/orders", order_body(shipto=HOME), 422, "shipto"),
        ("/v1/orders", order_body(placed_at="2026-11-20T15:00:00"), 422, "placed_at"),
        ("/v1/orders", order_body(placed_at=SOON), 422, "placed_at"),
        (
            "/v1/orders",
            order_body(placed_at="2026-11-20T15:00:00Z", requested_at="2026-11-20T16:00:00Z"),
            422,
            "requested_at",
        ),
        (
            "/v1/orders",
            order_body(placed_at="2026-11-20T15:00:00Z", promised_by="2026-11-19T00:00:00Z"),
            422,
            "promised_by",
        ),
        ("/v1/orders", order_body(customer_id=""), 422, "customer_id"),
        ("/v1/orders", "{not json", 422, "body"),
    ],
    "GET /v1/orders/{order_id}": [("/v1/orders/ord_nothing", None, 404, "order_id")],
    "GET /v1/orders/{order_id}/timeline": [
        ("/v1/orders/{order_id}/timeline?cursor=WzFd", None, 400, "cursor"),
        ("/v1/orders/ord_nothing/timeline", None, 404, "order_id"),
    ],
    "POST /v1/orders/{order_id}/corrections": [
        ("/v1/orders/{order_id}/corrections", {"reason": "nothing given"}, 422, "lines"),
        ("/v1/orders/{order_id}/corrections", {"ship_to": HOME}, 422, "reason"),
        ("/v1/orders/{order_id}/corrections", {"lines": [], "reason": "r"}, 422, "lines"),
        (
            "/v1/orders/{order_id}/corrections",
            {"ship_to": HOME, "reason": "r", "occurred_at": SOON},
            422,
            "occurred_at",
        ),
        ("/v1/orders/ord_nothing/corrections", {"ship_to": HOME, "reason": "r"}, 404, "order_id"),
    ],
    "POST /v1/orders/{order_id}/cancel": [
        ("/v1/orders/{order_id}/cancel", {"reason": ""}, 422, "reason"),
        ("/v1/orders/{order_id}/cancel", {"reason": "r", "occurred_at": SOON}, 422, "occurred_at"),
        ("/v1/orders/{order_id}/cancel", {"reason": "r", "occurred_at": "2000-01-01T00:00:00Z"}, 422, "occurred_at"),
        ("/v1/orders/{order_id}/cancel", {"reason": "r", "cancelled_by": "me"}, 422, "cancelled_by"),
    ],
    "POST /v1/orders/{order_id}/returns": [
        (
            "/v1/orders/{order_id}/returns",
            {"lines": [{"sku": "MUG-1", "quantity": 1}], "reason": "r", "kind": "refund"},
            422,
            "reason",
        ),
        (
            "/v1/orders/{order_id}/returns",
            {"lines": [{"sku": "MUG-1", "quantity": 1}], "reason": "damaged", "kind": "swap"},
            422,
            "kind",
        ),
        (
            "/v1/orders/{order_id}/returns",
            {"lines": [{"sku": "MUG-1", "quantity": 0}], "reason": "damaged", "kind": "refund"},
            422,
            "lines[0].quantity",
        ),
        (
            "/v1/orders/{order_id}/returns",
            {"lines": [{"sku": "MUG-1", "quantity": 3}], "reason": "damaged", "kind": "refund"},
            422,
            "lines[0].quantity",
        ),
        (
            "/v1/orders/{order_id}/returns",
            {"lines": [{"sku": "MUG-1", "quantity": 1}], "reason": "damaged", "kind": "refund", "occurred_at": SOON},
            422,
            "occurred_at",
        ),
    ],
    "POST /v1/payments/callbacks": [
        (
            "/v1/payments/callbacks",
            {"order_id": "{order_id}", "status": "pending", "amount": "45.00", "reference": "p"},
            422,
            "status",
        ),
        (
            "/v1/payments/callbacks",
            {"order_id": "{order_id}", "status": "authorized", "amount": "-5", "reference": "p"},
            422,
            "amount",
        ),
        (
            "/v1/payments/callbacks",
            {"order_id": "{order_id}", "status": "authorized", "amount": "45.00"},
            422,
            "reference",
        ),
        (
            "/v1/payments/callbacks",
            {"order_id": "{order_id}", "status": "failed", "amount": "45.00", "reference": "p", "occurred_at": SOON},
            422,
            "occurred_at",
        ),
        ("/v1/payments/callbacks", "[1, 2", 422, "body"),
    ],
}


def test_every_route_has_bad_input_cases():
    assert set(BAD_REQUESTS) == set(ALLOWED)


def _fill(value, order_id: str):
    text = orjson.dumps(value).decode() if not isinstance(value, str) else value
    return text.replace("{order_id}", order_id)


@pytest.mark.parametrize("route", list(BAD_REQUESTS))
async def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(route, client, producer, db):
    await seed(client)
    order = await (
        delivered_order(client, producer) if route.endswith("/returns") else place(client, payment_status="pending")
    )
    method = route.split()[0]
    role = next(iter(sorted(ALLOWED[route])))
    before = await snapshot(db)

    for path, body, status, field in BAD_REQUESTS[route]:
        content = None if body is None else _fill(body, order["order_id"]).encode()
        headers = {**auth(role), "Idempotency-Key": new_key(), "Content-Type": "application/json"}
        if route.endswith("/callbacks"):
            headers.update(signed_headers(TEST_SIGNING_SECRETS[role], content))
        response = await client.request(method, _fill(path, order["order_id"]), content=content, headers=headers)

        case = f"{route} {body!r}"
        assert response.status_code == status, f"{case}: {response.status_code} {response.text}"
        assert response.headers["content-type"] == "application/problem+json", case
        problem = response.json()
        assert problem["status"] == status and problem["type"].startswith("https://orderpulse.dev/problems/"), case
        assert problem["field"].split(".")[-1] == field.split(".")[-1] and field in problem["field"], case

    assert await snapshot(db) == before
