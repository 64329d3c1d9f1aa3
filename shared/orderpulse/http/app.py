"""Building a service's FastAPI app with the shared plumbing already in place."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI
from pydantic import SecretStr

from orderpulse.db.errors import DRIVER_ERRORS
from orderpulse.http import health
from orderpulse.http.auth import ApiKeyRegistry
from orderpulse.http.fast_path import FastEndpoint, FastRoutes
from orderpulse.http.links import OperationLink, add_links
from orderpulse.http.middleware import BodySizeLimitMiddleware, ObservabilityMiddleware
from orderpulse.http.problem_docs import add_problem_schema
from orderpulse.http.problems import install_problem_handlers
from orderpulse.settings import PlatformSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

# OrderPulse observes itself with Prometheus metrics, JSON logs and W3C traceparent in Kafka
# headers (docs/platform.md); it configures no OpenTelemetry SDK. FastAPI's native OpenTelemetry
# hooks would still look up the global tracer, meter and logger providers on every request
# (~2 % of order entry's CPU): off.
NO_NATIVE_TELEMETRY = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app(
    *,
    settings: PlatformSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    lifespan: Lifespan,
    readiness_checks: Mapping[str, health.ReadinessCheck] | None = None,
    signing_secrets: Mapping[str, SecretStr] | None = None,
    openapi_tags: list[dict] | None = None,
    links: Sequence[OperationLink] = (),
    fast_routes: Mapping[tuple[str, str], FastEndpoint] | None = None,
    database_errors: tuple[type[BaseException], ...] = DRIVER_ERRORS,
) -> FastAPI:
    """An app with problem+json errors (documented in its OpenAPI), API-key auth, RED metrics, health
    routes and a body limit; `links` say in its OpenAPI which answer feeds which next call.
    `fast_routes` answer the well-formed requests of a few busy routes in plain ASGI (orderpulse.http.fast_path).
    `database_errors` are what the service's database layer raises (its platform's `database_errors`:
    SQLAlchemy's too on the engine): those meaning the database is away, or a conflict, are a 503."""
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        telemetry=NO_NATIVE_TELEMETRY,
    )
    app.state.settings = settings
    app.state.api_keys = ApiKeyRegistry(settings.api_keys)
    app.state.signing_secrets = dict(signing_secrets if signing_secrets is not None else settings.signing_secrets)
    app.state.readiness_checks = dict(readiness_checks or {})
    install_problem_handlers(app, database_errors)
    add_problem_schema(app)
    add_links(app, links)
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    if fast_routes:  # inside the metrics; it limits the bodies it reads itself
        app.add_middleware(FastRoutes, routes=fast_routes, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ObservabilityMiddleware, service=settings.service_name)
    return app
