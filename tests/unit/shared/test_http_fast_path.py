"""A fast route answers only the well-formed requests; every other answer is its FastAPI route's, unchanged."""

from __future__ import annotations

from contextlib import asynccontextmanager

import asyncpg
import httpx
import orjson
import pytest
from fastapi import APIRouter, Depends
from orderpulse.http.app import create_app
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.fast_path import FastReply, FastRequest
from orderpulse.http.problems import Problem
from orderpulse.observability import metrics
from orderpulse.settings import PlatformSettings
from pydantic import BaseModel, Field

KEYS = {"storefront": "sf-key", "admin": "admin-key"}


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    quantity: int = Field(gt=0)


router = APIRouter()


@router.post("/things", status_code=201)
async def create_thing(thing: Thing, principal: Principal = Depends(require_roles("storefront"))):
    return {"name": thing.name, "by": principal.role, "path": "route"}


async def create_thing_fast(request: FastRequest) -> FastReply:
    principal = request.principal("storefront")
    thing = request.model(Thing)
    if thing.name == "taken":
        raise Problem(409, "thing-exists", "Thing exists", "Choose another name.", field="name")
    if thing.name == "db-down":
        raise ConnectionRefusedError("database down")
    if thing.name == "pg-down":
        raise asyncpg.CannotConnectNowError("the database system is shutting down")
    body = orjson.dumps({"name": thing.name, "by": principal.role, "path": "fast"})
    return FastReply(201, body, ((b"x-fast", b"yes"),))


@asynccontextmanager
async def no_lifespan(_app):
    yield


def _app(fast: bool):
    settings = PlatformSettings(service_name="fast-path-test", api_keys=KEYS, max_body_bytes=2048)
    return create_app(
        settings=settings, title="t", description="d", routers=[router], lifespan=no_lifespan,
        fast_routes={("POST", "/things"): create_thing_fast} if fast else None,
    )


def _client(fast: bool) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(fast), raise_app_exceptions=False), base_url="http://t")


@pytest.fixture
async def fast():
    async with _client(fast=True) as http:
        yield http


@pytest.fixture
async def plain():
    """The same app without the fast route: what FastAPI alone answers."""
    async with _client(fast=False) as http:
        yield http


STOREFRONT = {"Authorization": f"Bearer {KEYS['storefront']}"}
ADMIN = {"Authorization": f"Bearer {KEYS['admin']}"}


async def test_a_well_formed_request_is_answered_by_the_fast_endpoint(fast):
    response = await fast.post("/things", json={"name": "mug", "quantity": 2}, headers=STOREFRONT)
    assert response.status_code == 201
    assert response.json() == {"name": "mug", "by": "storefront", "path": "fast"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-fast"] == "yes"
    assert response.headers["content-length"] == str(len(response.content))


REFUSED = [
    ({}, {"name": "mug", "quantity": 2}, "application/json"),  # no key: 401
    ({"Authorization": "Bearer nope"}, {"name": "mug", "quantity": 2}, "application/json"),  # unknown key: 401
    ({"Authorization": "Basic sf-key"}, {"name": "mug", "quantity": 2}, "application/json"),  # not a bearer: 401
    (ADMIN, {"name": "mug", "quantity": 2}, "application/json"),  # role not allowed: 403
    (STOREFRONT, {"name": "mug", "quantity": 0}, "application/json"),  # invalid field: 422
    (STOREFRONT, "{not json", "application/json"),  # malformed: 422
    (STOREFRONT, {"name": "mug", "quantity": 2}, "text/plain"),  # not declared as JSON
    (STOREFRONT, {"name": "mug", "quantity": 2}, None),  # no content type
    (STOREFRONT, {"name": "mug", "quantity": 2}, "application/merge-patch+json"),
]


@pytest.mark.parametrize(("headers", "body", "content_type"), REFUSED)
async def test_every_request_it_declines_gets_the_routes_answer(fast, plain, headers, body, content_type):
    content = body if isinstance(body, str) else orjson.dumps(body).decode()
    sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
    expected = await plain.post("/things", content=content, headers=sent)
    answered = await fast.post("/things", content=content, headers=sent)
    assert (answered.status_code, answered.content) == (expected.status_code, expected.content)
    assert answered.headers.get("content-type") == expected.headers.get("content-type")


async def test_its_errors_are_problem_documents_as_a_routes_are(fast):
    taken = await fast.post("/things", json={"name": "taken", "quantity": 1}, headers=STOREFRONT)
    assert taken.status_code == 409 and taken.headers["content-type"] == "application/problem+json"
    assert taken.json()["field"] == "name" and taken.json()["instance"] == "/things"
    for name in ("db-down", "pg-down"):
        down = await fast.post("/things", json={"name": name, "quantity": 1}, headers=STOREFRONT)
        assert down.status_code == 503, name
        assert down.headers["Retry-After"] and down.headers["content-type"] == "application/problem+json"


async def test_an_oversized_body_is_refused_before_the_fast_endpoint(fast):
    response = await fast.post(
        "/things", content=b'{"name": "' + b"x" * 4000 + b'"}', headers={**STOREFRONT, "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["field"] == "body"


async def test_other_methods_and_paths_pass_through(fast):
    assert (await fast.get("/things")).status_code == 405
    assert (await fast.post("/things/", json={"name": "mug", "quantity": 2}, headers=STOREFRONT)).status_code in (307, 404)


async def test_metrics_count_it_by_its_route_template(fast):
    counter = metrics.http_requests_total.labels("fast-path-test", "/things", "POST", "201")
    before = counter._value.get()
    await fast.post("/things", json={"name": "mug", "quantity": 2}, headers=STOREFRONT)
    assert counter._value.get() == before + 1


async def test_an_oversized_body_without_a_length_is_refused_while_read(fast):
    async def chunks():
        for _ in range(5):
            yield b"x" * 1000

    response = await fast.post("/things", content=chunks(), headers={**STOREFRONT, "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["field"] == "body"
