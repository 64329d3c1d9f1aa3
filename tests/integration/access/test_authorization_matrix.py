"""Every route of order-svc and fulfillment-svc × every role (and no key, a wrong key, another
carrier's key): only the roles api.md lists get past authorization; every other caller gets 401
or 403 as problem+json. Requests carry no valid body and name unknown ids, so nothing changes."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from fulfillment_svc.bootstrap import build_app as build_fulfillment
from fulfillment_svc.manifest import MANIFEST as FULFILLMENT
from fulfillment_svc.settings import FulfillmentSettings
from order_svc.bootstrap import build_app as build_orders
from order_svc.manifest import MANIFEST as ORDERS
from order_svc.settings import OrderSettings
from orderpulse.db.migrations import upgrade
from orderpulse.http.signatures import signed_headers
from orderpulse.testing.service import ROLES, TEST_API_KEYS, TEST_SIGNING_SECRETS, service_settings

SIGNED = "signed"
# (method, route template) -> roles allowed, from api.md; `close` is fulfillment-svc's own (docs/fulfillment-decisions.md)
ORDER_SVC = {
    ("PUT", "/v1/customers/{customer_id}"): {"storefront", "admin"},
    ("GET", "/v1/customers/{customer_id}"): {"storefront", "support"},
    ("GET", "/v1/customers/{customer_id}/orders"): {"storefront", "support"},
    ("PUT", "/v1/catalog/{sku}"): {"admin"},
    ("POST", "/v1/orders"): {"storefront"},
    ("GET", "/v1/orders/{order_id}"): {"storefront", "support"},
    ("GET", "/v1/orders/{order_id}/timeline"): {"storefront", "support"},
    ("POST", "/v1/orders/{order_id}/corrections"): {"storefront", "support"},
    ("POST", "/v1/orders/{order_id}/cancel"): {"storefront", "support"},
    ("POST", "/v1/orders/{order_id}/returns"): {"storefront", "support"},
    ("POST", "/v1/payments/callbacks"): {"payments", SIGNED},
}
FULFILLMENT_SVC = {
    ("PUT", "/v1/warehouses/{warehouse_id}/stock/{sku}"): {"warehouse", "admin"},
    ("GET", "/v1/warehouses/{warehouse_id}/stock"): {"warehouse"},
    ("GET", "/v1/fulfillments"): {"warehouse"},
    ("POST", "/v1/fulfillments/{fulfillment_id}/pack"): {"warehouse"},
    ("POST", "/v1/fulfillments/{fulfillment_id}/dispatch"): {"warehouse"},
    ("POST", "/v1/fulfillments/{fulfillment_id}/close"): {"warehouse"},
    ("POST", "/v1/carriers/{carrier}/events"): {"carrier:dhl", SIGNED},  # the path names dhl below
    ("POST", "/v1/warehouses/{warehouse_id}/labor-shifts"): {"warehouse"},
    ("POST", "/v1/returns/{return_id}/receive"): {"warehouse"},
}
REFUSED = {401, 403}


@pytest.fixture(scope="module")
def schemas(infrastructure):
    for manifest in (ORDERS, FULFILLMENT):
        upgrade(manifest.migrations, infrastructure.database_url, manifest.schema)


def concrete(template: str) -> str:
    return (template.replace("{carrier}", "dhl").replace("{sku}", "NO-SUCH-SKU")
            .replace("{customer_id}", "cus_nobody").replace("{order_id}", "ord_nobody")
            .replace("{warehouse_id}", "wh_nobody").replace("{fulfillment_id}", "ful_nobody")
            .replace("{return_id}", "ret_nobody"))


def routes(app) -> list[tuple[str, str]]:
    """Every (method, template) the app serves under /v1, as its OpenAPI document lists them."""
    return sorted((method.upper(), path) for path, operations in app.openapi()["paths"].items()
                  if path.startswith("/v1/") for method in operations)


async def call(client: httpx.AsyncClient, method: str, path: str, key: str | None, *, sign_as: str | None = None):
    body = orjson.dumps({})
    headers = {"Content-Type": "application/json", "Idempotency-Key": "authz-matrix"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if sign_as is not None:
        headers.update(signed_headers(TEST_SIGNING_SECRETS[sign_as], body, int(time.time())))
    return await client.request(method, path, content=body if method in ("POST", "PUT") else None, headers=headers)


@pytest.mark.parametrize("service", ["order-svc", "fulfillment-svc"])
async def test_only_the_roles_api_md_lists_get_past_authorization(service, infrastructure, schemas):
    if service == "order-svc":
        app, table = build_orders(service_settings(OrderSettings, infrastructure)), ORDER_SVC
    else:
        app, table = build_fulfillment(service_settings(FulfillmentSettings, infrastructure)), FULFILLMENT_SVC
    wrong: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        present = routes(app)
        assert set(table) <= set(present), f"routes of api.md missing from {service}: {set(table) - set(present)}"
        for method, template in present:
            path = concrete(template)
            for caller, key in (("no key", None), ("a wrong key", "not-a-key")):
                answer = await call(client, method, path, key)
                if answer.status_code != 401 or not answer.headers["content-type"].startswith("application/problem+json"):
                    wrong.append(f"{method} {template} with {caller}: {answer.status_code}")
            allowed = table.get((method, template))
            if allowed is None:  # a route api.md does not list: it must at least want a key
                continue
            for role in ROLES:
                signs = SIGNED in allowed and role in TEST_SIGNING_SECRETS
                answer = await call(client, method, path, TEST_API_KEYS[role], sign_as=role if signs else None)
                if (role in allowed) == (answer.status_code in REFUSED):
                    wrong.append(f"{method} {template} as {role}: {answer.status_code} {answer.text[:120]}")
                elif answer.status_code in REFUSED and not answer.headers["content-type"].startswith("application/problem+json"):
                    wrong.append(f"{method} {template} as {role}: refusal is not problem+json")
    assert wrong == [], "\n".join(wrong)


async def test_a_carrier_cannot_post_scans_for_another_carrier(infrastructure, schemas):
    app = build_fulfillment(service_settings(FulfillmentSettings, infrastructure))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for intruder in ("carrier:ups", "carrier:fedex"):
            answer = await call(client, "POST", "/v1/carriers/dhl/events", TEST_API_KEYS[intruder], sign_as=intruder)
            assert answer.status_code == 403, answer.text
