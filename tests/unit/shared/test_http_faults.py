"""The shared HTTP layer under faults: the database away or a transaction conflict is a 503
problem+json with Retry-After (and the RED metrics count 503); any other error stays a 500; a
chunked body over the limit is a 413 even though FastAPI alone would answer 400."""

from __future__ import annotations

from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from fastapi import APIRouter
from orderpulse.http.app import create_app
from orderpulse.observability import metrics
from orderpulse.settings import PlatformSettings
from pydantic import BaseModel

SERVICE = "http-faults-test"
router = APIRouter()
FAULTS = {
    "refused": ConnectionRefusedError(111, "Connect call failed"),
    "shutdown": asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    "deadlock": asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
    "serialization": asyncpg.exceptions.SerializationError("could not serialize access"),
    "duplicate": asyncpg.exceptions.UniqueViolationError("duplicate key value"),
}


@router.get("/fault/{kind}")
async def fault(kind: str):
    raise FAULTS[kind]


class Note(BaseModel):
    text: str


@router.post("/notes")
async def notes(note: Note):
    return {"length": len(note.text)}


@asynccontextmanager
async def no_lifespan(_app):
    yield


@pytest.fixture
async def client():
    settings = PlatformSettings(service_name=SERVICE, max_body_bytes=2048)
    app = create_app(settings=settings, title="t", description="d", routers=[router], lifespan=no_lifespan)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


def counted(status: str) -> float:
    return metrics.http_requests_total.labels(SERVICE, "/fault/{kind}", "GET", status)._value.get()  # noqa: SLF001


@pytest.mark.parametrize(("kind", "retry_after"), [("refused", "5"), ("shutdown", "5"), ("deadlock", "1"),
                                                   ("serialization", "1")])
async def test_the_database_away_or_a_conflict_is_a_503_with_retry_after_counted_as_503(client, kind, retry_after):
    before_503, before_500 = counted("503"), counted("500")
    response = await client.get(f"/fault/{kind}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == retry_after
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/unavailable")
    assert counted("503") == before_503 + 1 and counted("500") == before_500


async def test_any_other_database_error_stays_a_500_without_internals(client):
    response = await client.get("/fault/duplicate")
    assert response.status_code == 500
    assert "duplicate key" not in response.text


async def test_a_chunked_body_over_the_limit_without_a_length_is_refused_with_413(client):
    async def chunks():
        for _ in range(8):
            yield b"x" * 1024

    response = await client.post("/notes", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "body"


async def test_a_chunked_body_within_the_limit_passes(client):
    async def chunks():
        yield b'{"text": '
        yield b'"hello"}'

    response = await client.post("/notes", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json() == {"length": 5}
