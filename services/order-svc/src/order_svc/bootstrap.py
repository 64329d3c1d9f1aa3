"""The one place order-svc is wired: settings -> platform (database, broker, relay, consumer) -> handlers -> app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from orderpulse.db.direct import MAX_CONNECTIONS_PER_SIZE, DirectConnections
from orderpulse.http.app import create_app
from orderpulse.runtime import Platform
from orderpulse.signed_tokens import TokenSigner
from sqlalchemy.ext.asyncio import AsyncSession

from order_svc.adapters.reference_cache import ReferenceCache
from order_svc.adapters.unit_of_work import SqlOrderUnitOfWork
from order_svc.domain.model import OrderRules
from order_svc.entrypoints import consumer
from order_svc.entrypoints.errors import install_error_handlers
from order_svc.entrypoints.links import LINKS
from order_svc.entrypoints.routes import FAST_ROUTES, ROUTERS
from order_svc.service_layer.clock import utcnow
from order_svc.service_layer.handlers import Context
from order_svc.service_layer.tracking import TRACKING_PURPOSE, TrackingPages
from order_svc.settings import OrderSettings

# the most PostgreSQL connections one process holds, per unit of ORDERPULSE_DATABASE_POOL_SIZE: the
# platform's engine and the DirectConnections of the hot routes beside it (`build_app`); what the
# deployment budgets max_connections with (tests/deploy/test_connection_budget.py)
DATABASE_CONNECTIONS_PER_POOL_SIZE = Platform.MAX_CONNECTIONS_PER_POOL_SIZE + MAX_CONNECTIONS_PER_SIZE

DESCRIPTION = """\
The storefront's side of an order: customers, the catalog, placing orders (entry checks hold an
order instead of refusing it), payments, corrections, cancellations and returns. Follows
fulfillment to keep each order's status, and keeps every order's lifecycle timeline.

Every `/v1` route needs `Authorization: Bearer <api key>`; errors are `application/problem+json`. The
customer's tracking page (`/track/{token}`, HTML) needs no key: its signed, expiring link is the credential.
"""

TAGS = [
    {"name": "customers", "description": "profiles orders are placed for"},
    {"name": "catalog", "description": "prices and quantity limits orders are checked against"},
    {"name": "orders", "description": "the order lifecycle, from placing to returns"},
    {"name": "payments", "description": "signed callbacks of the payment provider"},
    {"name": "tracking", "description": "the customer's tracking page, opened with a signed link"},
    {"name": "operations", "description": "health, readiness and metrics"},
]


def build_app(settings: OrderSettings, *, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    source = f"/{settings.service_name}"

    def joining_uow(session: AsyncSession) -> SqlOrderUnitOfWork:
        return SqlOrderUnitOfWork.joining(session, schema=settings.db_schema, source=source)

    platform = Platform(
        settings, consumed_topics=consumer.CONSUMED_TOPICS, handlers=consumer.handler_table(joining_uow)
    )
    direct = DirectConnections(settings.database_url, schema=settings.db_schema, size=settings.database_pool_size)
    copies = ReferenceCache()  # the process's copies of customers and catalog items, verified when placing

    def new_uow() -> SqlOrderUnitOfWork:
        return SqlOrderUnitOfWork(
            platform.sessions, schema=settings.db_schema, source=source, direct=direct, copies=copies
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with platform.lifespan(app):
            try:
                yield
            finally:
                await direct.close()

    context = Context(
        new_uow=new_uow,
        rules=OrderRules(
            calendar=settings.calendar, tax_rate=settings.tax_rate, default_currency=settings.default_currency
        ),
        payments_enabled=settings.accepts_payment_callbacks,
        payments_setting=settings.payments_setting,
        clock=clock,
    )
    app = create_app(
        settings=settings,
        title="order-svc",
        description=DESCRIPTION,
        routers=ROUTERS,
        lifespan=lifespan,
        readiness_checks=platform.readiness_checks,
        database_errors=platform.database_errors,
        openapi_tags=TAGS,
        links=LINKS,
        fast_routes=FAST_ROUTES,
    )
    install_error_handlers(app)
    app.state.context = context
    tracking_secret = settings.signing_secrets.get(TRACKING_PURPOSE)
    signer = TokenSigner(tracking_secret.get_secret_value(), purpose=TRACKING_PURPOSE) if tracking_secret else None
    app.state.tracking = TrackingPages(new_uow=context.new_uow, signer=signer, clock=clock)
    app.state.platform = platform
    return app
