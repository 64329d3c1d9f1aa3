"""Who may call what on notify-svc (api.md's table): every route x every role, and no key at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from notify_stack import notify_settings
from notify_svc.bootstrap import build_app
from orderpulse.testing.api_roles import NOTIFY_SVC
from orderpulse.testing.service import ROLES, auth

ALLOWED = NOTIFY_SVC
CALLS = {
    ("PUT", "/v1/customers/{customer_id}/preferences"): ("/v1/customers/cus-acl/preferences", {"channels": {"sms": False}}),
    ("GET", "/v1/orders/{order_id}/notifications"): ("/v1/orders/ord-acl/notifications", None),
    ("GET", "/v1/courtesy-calls"): ("/v1/courtesy-calls", None),
    ("POST", "/v1/courtesy-calls/{call_id}/complete"): ("/v1/courtesy-calls/call-acl/complete", {"outcome": "reached"}),
}


@pytest.fixture
async def client(infrastructure, clean_schema) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(notify_settings(infrastructure))  # routes only: no consumer group to join
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client
    await app.state.platform.stop()


async def test_the_matrix_covers_every_route_of_the_service(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    routes = {(method.upper(), path) for path, methods in paths.items() for method in methods if path.startswith("/v1/")}
    assert routes == set(ALLOWED)


@pytest.mark.parametrize("route", sorted(ALLOWED))
async def test_only_the_roles_of_api_md_get_past_authorization(client, route):
    method, _ = route
    path, body = CALLS[route]
    assert (await client.request(method, path, json=body)).status_code == 401
    for role in ROLES:
        status = (await client.request(method, path, json=body, headers=auth(role))).status_code
        if role in ALLOWED[route]:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


async def test_the_call_list_pages_earliest_due_first_and_filters_by_manager_and_status(client, database):
    for n, (manager, hours, status) in enumerate([("am-a", 3, "open"), ("am-a", 1, "open"), ("am-b", 2, "open"), ("am-a", 2, "completed")]):
        await database(
            "INSERT INTO courtesy_calls (call_id, order_id, customer_id, milestone, account_manager, due_by, status) "
            "VALUES (:c, :o, 'cus', 'shipped', :m, now() + make_interval(hours => :h), :s)",
            c=f"call-{n}", o=f"ord-{n}", m=manager, h=hours, s=status,
        )
    seen, cursor = [], None
    while True:
        params = {"account_manager": "am-a", "status": "open", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/courtesy-calls", params=params, headers=auth("account_manager"))).json()
        seen += [item["call_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["call-1", "call-0"]
    everyone = (await client.get("/v1/courtesy-calls", headers=auth("account_manager"))).json()["items"]
    assert [item["call_id"] for item in everyone] == ["call-1", "call-2", "call-3", "call-0"]
    tampered = await client.get("/v1/courtesy-calls", params={"cursor": "not-a-cursor"}, headers=auth("account_manager"))
    assert tampered.status_code == 400 and tampered.json()["field"] == "cursor"
