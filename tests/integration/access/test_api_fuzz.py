"""Property-based API testing with schemathesis: every operation of every service's OpenAPI
document, called over real HTTP (uvicorn) against the real PostgreSQL, with generated valid and
invalid input, must never answer 5xx, and every answer must match the document (status code,
content type, body schema).

Each operation is called with the key of a role api.md allows for it (api_md_roles.py), so the
calls get past authorization and reach validation and the domain; the authorization matrix tests
the other roles. Routes whose callers sign the body (payments, carriers) get a key but no
signature here: their signature check is the carrier and payment tests' job.

kpi-svc runs with its lifespan (its routes read the stream's state); the others run routes only,
as the authorization matrix does, so no consumer joins a group and no relay publishes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import schemathesis
import uvicorn
from api_md_roles import FEEDBACK_SVC, FULFILLMENT_SVC, NOTIFY_SVC, ORDER_SVC
from feedback_svc.bootstrap import build_app as build_feedback
from feedback_svc.manifest import MANIFEST as FEEDBACK
from feedback_svc.settings import FeedbackSettings
from fulfillment_svc.bootstrap import build_app as build_fulfillment
from fulfillment_svc.manifest import MANIFEST as FULFILLMENT
from fulfillment_svc.settings import FulfillmentSettings
from hypothesis import HealthCheck, settings
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
KPI_READER = "support"
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


def role_for(service: str, method: str, template: str) -> str:
    """A role api.md lets call the operation (the first by name); kpi-svc's routes are the readers'."""
    if service == "kpi-svc":
        return KPI_READER
    allowed = sorted(role for role in BUILDERS[service][2].get((method, template), ()) if role in TEST_API_KEYS)
    return allowed[0] if allowed else "admin"


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


def _call(service: str, case, servers: dict[str, str]) -> None:
    role = role_for(service, case.operation.method.upper(), case.operation.path)
    headers = {**(case.headers or {}), "Authorization": f"Bearer {TEST_API_KEYS[role]}"}
    if case.operation.method.upper() in ("POST", "PUT"):
        headers.setdefault("Idempotency-Key", f"fuzz-{time.monotonic_ns()}")
    case.call_and_validate(base_url=servers[service], headers=headers, checks=CHECKS, timeout=30)


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
