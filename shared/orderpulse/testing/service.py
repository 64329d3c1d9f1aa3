"""Running a service's app in-process against the real infrastructure, as its tests do."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx
import orjson
from fastapi import FastAPI

from orderpulse.http.signatures import signed_headers
from orderpulse.settings import PlatformSettings
from orderpulse.testing.infrastructure import Infrastructure

S = TypeVar("S", bound=PlatformSettings)

CARRIERS = ("dhl", "ups", "fedex")
ROLES = ("storefront", "warehouse", "payments", "support", "account_manager", "admin", *(f"carrier:{c}" for c in CARRIERS))
TEST_API_KEYS = {role: f"test-key-{role.replace(':', '-')}" for role in ROLES}
TEST_SIGNING_SECRETS = {role: f"test-secret-{role.replace(':', '-')}" for role in ("payments", *(f"carrier:{c}" for c in CARRIERS))}


def service_settings(settings_class: type[S], infrastructure: Infrastructure, **overrides) -> S:
    """Settings for a service under test: the test infrastructure, known keys, fast consumer groups."""
    values = dict(
        environment="test",
        database_url=infrastructure.database_url,
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        kafka_enable_idempotence=infrastructure.kafka_enable_idempotence,
        api_keys=TEST_API_KEYS,
        signing_secrets=TEST_SIGNING_SECRETS,
        outbox_poll_interval_s=0.2,
        consumer_session_timeout_ms=2_000,
        consumer_heartbeat_interval_ms=200,
        consumer_retry_backoff_s=0.01,
    )
    values.update(overrides)
    return settings_class(**values)


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TEST_API_KEYS[role]}"}


def signed(role: str, body: object, *, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """Raw JSON body and the auth + signature headers `role` sends with it."""
    raw = orjson.dumps(body)
    headers = {**auth(role), **signed_headers(TEST_SIGNING_SECRETS[role], raw, timestamp or int(time.time()))}
    headers["Content-Type"] = "application/json"
    return raw, headers


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (relay, consumers) and give an HTTP client bound to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
