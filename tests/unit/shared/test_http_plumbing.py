"""problem+json, API-key roles, signatures, body limit, pagination — on a tiny app built like a service's."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

import httpx
import orjson
import pytest
from fastapi import APIRouter, Depends, Request
from orderpulse.http.app import create_app
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.health import Readiness
from orderpulse.http.pagination import decode_cursor, encode_cursor
from orderpulse.http.problems import Problem
from orderpulse.http.signatures import signed_headers, verify_signature
from orderpulse.settings import PlatformSettings
from pydantic import BaseModel, Field

KEYS = {"storefront": "sf-key", "admin": "admin-key", "carrier:dhl": "dhl-key", "carrier:ups": "ups-key"}
SECRETS = {"carrier:dhl": "dhl-secret"}


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    quantity: int = Field(gt=0)


router = APIRouter()


@router.post("/things")
async def create_thing(thing: Thing, principal: Principal = Depends(require_roles("storefront", "admin"))):
    if thing.name == "taken":
        raise Problem(409, "thing-exists", "Thing exists", "Choose another name.", field="name")
    return {"name": thing.name, "by": principal.role}


@router.post("/carriers/{carrier}/scans")
async def scans(carrier: str, request: Request, principal: Principal = Depends(require_roles("carrier:*"))):
    body = await verify_signature(request, principal.role, max_age_s=300)
    return {"carrier": principal.carrier, "bytes": len(body)}


@router.get("/boom")
async def boom():
    raise RuntimeError("kaboom-internal-detail")


@asynccontextmanager
async def no_lifespan(_app):
    yield


@pytest.fixture
async def client():
    settings = PlatformSettings(service_name="plumbing-test", api_keys=KEYS, signing_secrets=SECRETS, max_body_bytes=2048)
    app = create_app(settings=settings, title="t", description="d", routers=[router], lifespan=no_lifespan)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


async def test_a_validation_error_is_problem_json_naming_the_field(client):
    response = await client.post("/things", json={"name": "ok", "quantity": 0}, headers=bearer("storefront"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["field"] == "quantity"
    assert body["type"].endswith("/validation-error")
    assert body["errors"][0]["field"] == "quantity"


async def test_malformed_json_is_a_4xx_problem_not_a_500(client):
    response = await client.post(
        "/things", content=b"{not json", headers={**bearer("storefront"), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_no_key_is_401_and_an_unknown_key_is_401(client):
    assert (await client.post("/things", json={"name": "a", "quantity": 1})).status_code == 401
    unknown = await client.post("/things", json={"name": "a", "quantity": 1}, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    assert unknown.json()["type"].endswith("/unauthorized")


async def test_a_role_not_listed_is_403(client):
    response = await client.post("/things", json={"name": "a", "quantity": 1}, headers=bearer("carrier:dhl"))
    assert response.status_code == 403
    assert "carrier:dhl" in response.json()["detail"]


async def test_an_allowed_role_passes_and_a_domain_problem_keeps_its_type(client):
    ok = await client.post("/things", json={"name": "a", "quantity": 1}, headers=bearer("admin"))
    assert ok.status_code == 200 and ok.json()["by"] == "admin"
    taken = await client.post("/things", json={"name": "taken", "quantity": 1}, headers=bearer("admin"))
    assert taken.status_code == 409 and taken.json()["field"] == "name"


async def test_an_unexpected_error_is_a_problem_without_internals(client):
    response = await client.get("/boom")
    assert response.status_code == 500
    assert "kaboom-internal-detail" not in response.text


async def test_a_body_over_the_limit_is_refused_early_with_413(client):
    response = await client.post("/things", content=b"x" * 4096, headers={**bearer("admin"), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["field"] == "body"


async def test_a_correctly_signed_callback_passes(client):
    raw = orjson.dumps({"scans": []})
    headers = {**bearer("carrier:dhl"), **signed_headers("dhl-secret", raw)}
    response = await client.post("/carriers/dhl/scans", content=raw, headers=headers)
    assert response.status_code == 200 and response.json() == {"carrier": "dhl", "bytes": len(raw)}


@pytest.mark.parametrize(
    "tamper",
    ["missing", "wrong_secret", "body_changed", "too_old", "no_secret_for_role"],
)
async def test_a_bad_or_missing_signature_is_401(client, tamper):
    raw = orjson.dumps({"scans": []})
    role = "carrier:ups" if tamper == "no_secret_for_role" else "carrier:dhl"
    secret = "other-secret" if tamper == "wrong_secret" else "dhl-secret"
    timestamp = int(time.time()) - 301 if tamper == "too_old" else None
    headers = {**bearer(role), **signed_headers(secret, raw, timestamp)}
    if tamper == "missing":
        headers = bearer(role)
    body = raw + b" " if tamper == "body_changed" else raw
    response = await client.post(f"/carriers/{role.split(':')[1]}/scans", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["type"].endswith("/bad-signature")


async def test_metrics_count_requests_by_route_template(client):
    await client.post("/carriers/dhl/scans", content=b"{}", headers=bearer("carrier:dhl"))
    metrics = (await client.get("/metrics")).text
    assert 'route="/carriers/{carrier}/scans"' in metrics
    assert 'route="/carriers/dhl/scans"' not in metrics


async def test_metrics_named_in_the_query_are_the_only_ones_exposed(client):
    await client.post("/carriers/dhl/scans", content=b"{}", headers=bearer("carrier:dhl"))
    whole = (await client.get("/metrics")).text
    only = (await client.get("/metrics", params=[("name[]", "orderpulse_http_requests_total")])).text
    assert "orderpulse_http_request_duration_seconds_bucket" in whole
    assert 'orderpulse_http_requests_total{' in only and 'route="/carriers/{carrier}/scans"' in only
    assert {line.split("{")[0].split(" ")[0] for line in only.splitlines() if not line.startswith("#")} == {
        "orderpulse_http_requests_total"
    }


def test_a_cursor_round_trips_and_a_tampered_one_is_a_400_naming_cursor():
    cursor = encode_cursor(["2026-11-20T10:00:00Z", "ord_1"])
    assert decode_cursor(cursor) == ["2026-11-20T10:00:00Z", "ord_1"]
    with pytest.raises(Problem) as refused:
        decode_cursor("%%%not-a-cursor")
    assert refused.value.status == 400 and refused.value.field == "cursor"


def test_production_settings_refuse_placeholder_secrets():
    with pytest.raises(ValueError, match="placeholder"):
        PlatformSettings(environment="production", api_keys={"admin": "changeme"})


def test_secrets_never_show_in_the_settings_repr():
    settings = PlatformSettings(api_keys={"admin": "super-secret-key-1234"})
    assert "super-secret-key-1234" not in repr(settings)


async def test_readyz_names_the_reason_a_check_gives_and_answers_503():
    async def ok() -> bool:
        return True

    async def stalled() -> str:
        return "checkpoint failing: database unavailable"

    async def down() -> bool:
        raise ConnectionError("no")

    settings = PlatformSettings(service_name="plumbing-test", api_keys=KEYS)
    for checks, status in (({"database": ok}, 200), ({"database": ok, "stream": stalled, "broker": down}, 503)):
        app = create_app(settings=settings, title="t", description="d", routers=[], lifespan=no_lifespan, readiness_checks=checks)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            response = await http.get("/readyz")
        assert response.status_code == status
    assert response.json()["checks"] == {
        "database": "ok", "stream": "checkpoint failing: database unavailable", "broker": "unavailable",
    }
    declared = app.openapi()["paths"]["/readyz"]["get"]["responses"]
    assert set(declared) >= {"200", "503"}  # a client (or schemathesis) reads the 503 as documented
    assert Readiness.model_validate(response.json()).status == "not_ready"


async def test_a_request_does_not_consult_opentelemetry_providers(client, monkeypatch):
    """OrderPulse configures no OpenTelemetry SDK: FastAPI's native hooks are off, so no request
    pays for looking up the global tracer, meter and logger providers."""
    from opentelemetry import metrics, trace
    from opentelemetry._logs import _internal as logs

    looked_up = []
    for module, name in ((trace, "get_tracer_provider"), (metrics, "get_meter_provider"), (logs, "get_logger_provider")):
        monkeypatch.setattr(module, name, lambda name=name: looked_up.append(name))
    response = await client.post("/things", json={"name": "ok", "quantity": 1}, headers=bearer("storefront"))
    assert looked_up == []
    assert response.status_code == 200
