"""Property-based API testing with schemathesis: every operation of every service's OpenAPI
document, called over real HTTP (uvicorn) against the real PostgreSQL, with generated valid and
invalid input, must never answer 5xx, and every answer must match the document (status code,
content type, body schema).

Two kinds of run per service:
- stateless: each operation on its own, with generated input;
- stateful: chains of calls that follow the document's links (an order placed → read, corrected,
  cancelled, returned; a queue read → pack, dispatch, close; an issue opened → acknowledged,
  resolved), so the later calls reach real resources instead of 404s. Some placed orders name a
  seeded customer and sku (as a storefront's would), so the chains start from real orders.

Every call carries the key of a role api.md allows for the operation (orderpulse.testing.api_roles), taking
the allowed roles in turn, so the calls get past authorization and reach validation and the
domain; the authorization matrix tests the refused roles. Routes whose callers sign the body (payments, carriers) get a key but no
signature here: their signature check is the carrier and payment tests' job.

kpi-svc runs with its lifespan (its routes read the stream's state); the others run routes only,
as the authorization matrix does, so no consumer joins a group and no relay publishes.
"""

from __future__ import annotations

import itertools
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import schemathesis
import uvicorn
from feedback_svc.bootstrap import build_app as build_feedback
from feedback_svc.manifest import MANIFEST as FEEDBACK
from feedback_svc.settings import FeedbackSettings
from fulfillment_svc.bootstrap import build_app as build_fulfillment
from fulfillment_svc.manifest import MANIFEST as FULFILLMENT
from fulfillment_svc.settings import FulfillmentSettings
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from kpi_svc.bootstrap import build_app as build_kpi
from kpi_svc.manifest import MANIFEST as KPI
from kpi_svc.settings import KpiSettings
from notify_svc.bootstrap import build_app as build_notify
from notify_svc.manifest import MANIFEST as NOTIFY
from notify_svc.settings import NotifySettings
from order_svc.bootstrap import build_app as build_orders
from order_svc.manifest import MANIFEST as ORDERS
from order_svc.settings import OrderSettings
from orderpulse.db.migrations import upgrade
from orderpulse.stack.processes import free_port
from orderpulse.testing.api_roles import FEEDBACK_SVC, FULFILLMENT_SVC, NOTIFY_SVC, ORDER_SVC
from orderpulse.testing.infrastructure import BackendChoice, Infrastructure
from orderpulse.testing.service import TEST_API_KEYS, TEST_SIGNING_SECRETS, service_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
SURVEY_SECRETS = {**TEST_SIGNING_SECRETS, "surveys": "api-fuzz-survey-secret-0123456789abcdef"}


BUILDERS = {
    "order-svc": (lambda infra: build_orders(service_settings(OrderSettings, infra)), ORDERS, ORDER_SVC),
    "fulfillment-svc": (lambda infra: build_fulfillment(service_settings(FulfillmentSettings, infra)), FULFILLMENT, FULFILLMENT_SVC),
    "notify-svc": (lambda infra: build_notify(service_settings(NotifySettings, infra)), NOTIFY, NOTIFY_SVC),
    "feedback-svc": (lambda infra: build_feedback(service_settings(FeedbackSettings, infra, signing_secrets=SURVEY_SECRETS)),
                     FEEDBACK, FEEDBACK_SVC),
    "kpi-svc": (lambda infra: build_kpi(service_settings(KpiSettings, infra, consumer_group="kpi-svc-api-fuzz")), KPI, {}),
}

# The documents are read from apps built without infrastructure: building one connects to nothing.
_NOWHERE = Infrastructure("postgresql+asyncpg://nobody@127.0.0.1:9/none", "127.0.0.1:9", False,
                          BackendChoice("embedded", "embedded"))
# /readyz answers 503 by design here (no broker for routes-only apps); the health tests cover it
SCHEMAS = {service: schemathesis.openapi.from_dict(build(_NOWHERE).openapi()).exclude(path="/readyz")
           for service, (build, _, _) in BUILDERS.items()}


KPI_READERS = ("support", "account_manager", "admin")
# generate only: a shrink would replay calls against a database the first run already changed
STATEFUL = settings(max_examples=30, stateful_step_count=6, deadline=None, derandomize=True, database=None,
                    phases=[Phase.generate], suppress_health_check=list(HealthCheck))
STATEFUL_ATTEMPTS = 3
SEEDED_CUSTOMER, SEEDED_SKU = "cus_fuzz_1", "FUZZ-MUG-1"
_turns: defaultdict[tuple[str, str, str], Iterator[int]] = defaultdict(itertools.count)


def allowed_roles(service: str, method: str, template: str) -> list[str]:
    """The roles api.md lets call the operation that have a test key; kpi-svc's routes are the readers'."""
    if service == "kpi-svc":
        return list(KPI_READERS)
    allowed = sorted(role for role in BUILDERS[service][2].get((method, template), ()) if role in TEST_API_KEYS)
    return allowed or ["admin"]


def role_for(service: str, method: str, template: str) -> str:
    """The allowed roles in turn, so every one of them calls the operation during the run."""
    roles = allowed_roles(service, method, template)
    return roles[next(_turns[service, method, template]) % len(roles)]


@pytest.fixture(scope="module")
def servers(infrastructure) -> Iterator[dict[str, str]]:
    """Each service on its own uvicorn server, in a thread: real HTTP, as a client calls it."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []
    urls: dict[str, str] = {}
    try:
        for service, (build, manifest, _) in BUILDERS.items():
            upgrade(manifest.migrations, infrastructure.database_url, manifest.schema)
            port = free_port()
            server = uvicorn.Server(uvicorn.Config(build(infrastructure), host="127.0.0.1", port=port, log_level="warning",
                                                   lifespan="on" if service == "kpi-svc" else "off"))
            thread = threading.Thread(target=server.run, name=f"fuzz-{service}", daemon=True)
            thread.start()
            running.append((server, thread))
            deadline = time.monotonic() + 60
            while not server.started:
                assert thread.is_alive() and time.monotonic() < deadline, f"{service} did not start"
                time.sleep(0.05)
            urls[service] = f"http://127.0.0.1:{port}"
        yield urls
    finally:
        for server, thread in running:
            server.should_exit = True
            thread.join(20)


def _headers(service: str, case) -> dict[str, str]:
    role = role_for(service, case.operation.method.upper(), case.operation.path)
    headers = {**(case.headers or {}), "Authorization": f"Bearer {TEST_API_KEYS[role]}"}
    if case.operation.method.upper() in ("POST", "PUT"):
        headers.setdefault("Idempotency-Key", f"fuzz-{time.monotonic_ns()}")
    return headers


def _call(service: str, case, servers: dict[str, str]) -> None:
    case.call_and_validate(base_url=servers[service], headers=_headers(service, case), checks=CHECKS, timeout=30)


@SCHEMAS["order-svc"].parametrize()
@EXAMPLES
def test_order_svc_answers_every_generated_request_as_documented(case, servers):
    _call("order-svc", case, servers)


@SCHEMAS["fulfillment-svc"].parametrize()
@EXAMPLES
def test_fulfillment_svc_answers_every_generated_request_as_documented(case, servers):
    _call("fulfillment-svc", case, servers)


@SCHEMAS["notify-svc"].parametrize()
@EXAMPLES
def test_notify_svc_answers_every_generated_request_as_documented(case, servers):
    _call("notify-svc", case, servers)


@SCHEMAS["feedback-svc"].parametrize()
@EXAMPLES
def test_feedback_svc_answers_every_generated_request_as_documented(case, servers):
    _call("feedback-svc", case, servers)


@SCHEMAS["kpi-svc"].parametrize()
@EXAMPLES
def test_kpi_svc_answers_every_generated_request_as_documented(case, servers):
    _call("kpi-svc", case, servers)


@pytest.fixture(scope="module")
def seeded(servers) -> None:
    """A customer and a sku a storefront's order can name, through order-svc's own API."""
    base = servers["order-svc"]
    catalog = httpx.put(f"{base}/v1/catalog/{SEEDED_SKU}", headers={"Authorization": f"Bearer {TEST_API_KEYS['admin']}"},
                        json={"name": "Fuzz mug", "unit_price": "12.50", "currency": "USD", "max_quantity": 10})
    customer = httpx.put(f"{base}/v1/customers/{SEEDED_CUSTOMER}",
                         headers={"Authorization": f"Bearer {TEST_API_KEYS['storefront']}"},
                         json={"tier": "standard", "name": "Fuzz Customer", "email": "fuzz@example.com", "phone": "+44 20 7946 0001",
                               "locale": "en-GB", "timezone": "Europe/London"})
    assert catalog.status_code in (200, 201) and customer.status_code in (200, 201), (catalog.text, customer.text)


def _as_a_storefront_would(case) -> None:
    """About every other generated order (chosen by its content, so a replay chooses the same)
    becomes one a storefront would send: the seeded customer and sku, a quantity and price the
    catalog accepts, a full address. The chains that follow its links then reach a real order."""
    body = case.body
    if case.operation.path != "/v1/orders" or not isinstance(body, dict) or zlib.crc32(repr(body).encode()) % 2:
        return
    body.clear()
    body.update(customer_id=SEEDED_CUSTOMER, channel="web", service_level="standard",
                lines=[{"sku": SEEDED_SKU, "quantity": 1 + zlib.crc32(repr(case.id).encode()) % 3, "unit_price": "12.50"}],
                ship_to={"country": "GB", "region": "London", "city": "London", "postal_code": "N1 9GU", "line1": "1 Upper St"})


@dataclass
class StatefulRun:
    """What a stateful run was answered (per operation and status) and which answers broke a check."""

    answered: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    restarts: int = 0


def stateful_run(service: str, servers: dict[str, str]) -> StatefulRun:
    """Run the service's link-following state machine over real HTTP.

    A broken check is collected, not raised: Hypothesis would replay the scenario to confirm it,
    against a database the first run already changed, and report its own confusion instead.
    """
    run = StatefulRun()

    class Chains(SCHEMAS[service].as_state_machine()):  # type: ignore[misc]
        def before_call(self, case) -> None:
            _as_a_storefront_would(case)

        def get_call_kwargs(self, case) -> dict:
            return {"base_url": servers[service], "headers": _headers(service, case), "timeout": 30}

        def after_call(self, response, case) -> None:
            run.answered[f"{case.operation.method.upper()} {case.operation.path}", response.status_code] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except Exception as failure:  # noqa: BLE001 - every broken check is reported at the end
                run.failures.append(f"{case.operation.label} -> {response.status_code}: {failure}\n{response.text[:500]}")

    for _ in range(STATEFUL_ATTEMPTS):
        try:
            Chains.run(settings=STATEFUL)
            break
        except Flaky:
            # Hypothesis saw a step answered differently than when it first drew it (a customer
            # created, then updated): the server's state moved on, which is no failure of the API.
            # Broken checks were collected above; run again, as schemathesis' own runner does.
            run.restarts += 1
    return run


def test_order_svc_chains_follow_its_links_to_real_orders(servers, seeded):
    run = stateful_run("order-svc", servers)
    assert not run.failures, "\n\n".join(run.failures[:5])
    assert run.answered["POST /v1/orders", 201] > 0, run.answered
    # a placed order's id, taken from the answer through a link, reaches the order
    followed = sum(count for (operation, status), count in run.answered.items()
                   if operation.startswith("GET /v1/orders/{order_id}") and status == 200)
    assert followed > 0, run.answered


@pytest.mark.parametrize("service", ["fulfillment-svc", "notify-svc", "feedback-svc"])
def test_chains_of_calls_along_the_links_answer_as_documented(service, servers):
    run = stateful_run(service, servers)
    assert not run.failures, "\n\n".join(run.failures[:5])
    assert sum(run.answered.values()) >= STATEFUL.max_examples, run.answered
