"""Every route of order-svc, fulfillment-svc, notify-svc and feedback-svc × every role (and no key,
a wrong key, another carrier's key): only the roles api.md lists get past authorization; every
other caller gets 401 or 403 as problem+json. Requests carry no valid body and name unknown ids,
so nothing changes. feedback-svc's survey-token routes take no key (the token is the customer's
credential): a forged token is 404 whoever calls."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from feedback_svc.bootstrap import build_app as build_feedback
from feedback_svc.manifest import MANIFEST as FEEDBACK
from feedback_svc.settings import FeedbackSettings
from fulfillment_svc.bootstrap import build_app as build_fulfillment
from fulfillment_svc.manifest import MANIFEST as FULFILLMENT
from fulfillment_svc.settings import FulfillmentSettings
from notify_svc.bootstrap import build_app as build_notify
from notify_svc.manifest import MANIFEST as NOTIFY
from notify_svc.settings import NotifySettings
from order_svc.bootstrap import build_app as build_orders
from order_svc.manifest import MANIFEST as ORDERS
from order_svc.settings import OrderSettings
from orderpulse.db.migrations import upgrade
from orderpulse.http.signatures import signed_headers
from orderpulse.testing.api_roles import FEEDBACK_SVC, FULFILLMENT_SVC, NOTIFY_SVC, ORDER_SVC, SIGNED
from orderpulse.testing.service import ROLES, TEST_API_KEYS, TEST_SIGNING_SECRETS, service_settings

SURVEY_TOKEN_ROUTES = {
    ("GET", "/surveys/{token}"): None,
    ("POST", "/surveys/{token}"): b"csat=5",  # the page's own form
    ("POST", "/v1/surveys/{token}/responses"): orjson.dumps({"csat": 5}),
}
FORGED_TOKEN = "c3ZfZm9yZ2Vk.forged-signature"
REFUSED = {401, 403}


@pytest.fixture(scope="module")
def schemas(infrastructure):
    for manifest in (ORDERS, FULFILLMENT, NOTIFY, FEEDBACK):
        upgrade(manifest.migrations, infrastructure.database_url, manifest.schema)


def concrete(template: str) -> str:
    return (template.replace("{carrier}", "dhl").replace("{sku}", "NO-SUCH-SKU")
            .replace("{customer_id}", "cus_nobody").replace("{order_id}", "ord_nobody")
            .replace("{warehouse_id}", "wh_nobody").replace("{fulfillment_id}", "ful_nobody")
            .replace("{return_id}", "ret_nobody").replace("{call_id}", "call_nobody")
            .replace("{issue_id}", "iss_nobody"))


def routes(app) -> list[tuple[str, str]]:
    """Every (method, template) the app serves under /v1 and wants a key for, as its OpenAPI
    document lists them (the survey-token routes are the customer's: tested on their own)."""
    return sorted((method.upper(), path) for path, operations in app.openapi()["paths"].items()
                  if path.startswith("/v1/") for method in operations
                  if (method.upper(), path) not in SURVEY_TOKEN_ROUTES)


def service_under_test(service: str, infrastructure) -> tuple[object, dict]:
    """The app (routes only: no lifespan runs, so no consumer joins a group) and api.md's table."""
    if service == "order-svc":
        return build_orders(service_settings(OrderSettings, infrastructure)), ORDER_SVC
    if service == "fulfillment-svc":
        return build_fulfillment(service_settings(FulfillmentSettings, infrastructure)), FULFILLMENT_SVC
    if service == "notify-svc":
        return build_notify(service_settings(NotifySettings, infrastructure)), NOTIFY_SVC
    return build_feedback(feedback_settings(infrastructure)), FEEDBACK_SVC


def feedback_settings(infrastructure) -> FeedbackSettings:
    secrets = {**TEST_SIGNING_SECRETS, "surveys": "authz-matrix-survey-secret-0123456789"}
    return service_settings(FeedbackSettings, infrastructure, signing_secrets=secrets)


async def call(client: httpx.AsyncClient, method: str, path: str, key: str | None, *, sign_as: str | None = None):
    body = orjson.dumps({})
    headers = {"Content-Type": "application/json", "Idempotency-Key": "authz-matrix"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if sign_as is not None:
        headers.update(signed_headers(TEST_SIGNING_SECRETS[sign_as], body, int(time.time())))
    return await client.request(method, path, content=body if method in ("POST", "PUT") else None, headers=headers)


@pytest.mark.parametrize("service", ["order-svc", "fulfillment-svc", "notify-svc", "feedback-svc"])
async def test_only_the_roles_api_md_lists_get_past_authorization(service, infrastructure, schemas):
    app, table = service_under_test(service, infrastructure)
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


async def test_a_forged_survey_token_is_404_whoever_calls_and_needs_no_key(infrastructure, schemas):
    app = build_feedback(feedback_settings(infrastructure))
    present = {(method.upper(), path) for path, operations in app.openapi()["paths"].items() for method in operations}
    assert set(SURVEY_TOKEN_ROUTES) <= present
    wrong: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for (method, template), body in SURVEY_TOKEN_ROUTES.items():
            form = template.startswith("/surveys/")
            headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
            for caller, key in (("no key", None), *((role, TEST_API_KEYS[role]) for role in ROLES)):
                sent = {**headers, **({"Authorization": f"Bearer {key}"} if key else {})}
                answer = await client.request(method, template.replace("{token}", FORGED_TOKEN), content=body, headers=sent)
                if answer.status_code != 404:
                    wrong.append(f"{method} {template} with a forged token as {caller}: {answer.status_code} {answer.text[:120]}")
            # the pages ignore keys; the JSON API reads one (a support key may date an imported answer)
            # and refuses an unknown key with 401 before looking at the token (docs/feedback-decisions.md)
            answer = await client.request(
                method, template.replace("{token}", FORGED_TOKEN), content=body, headers={**headers, "Authorization": "Bearer not-a-key"}
            )
            if answer.status_code != (404 if form else 401):
                wrong.append(f"{method} {template} with a forged token and a wrong key: {answer.status_code}")
    assert wrong == [], "\n".join(wrong)
