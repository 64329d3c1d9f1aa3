"""The one place fulfillment-svc is wired: settings -> platform (database, broker, relay,
consumer) -> service context -> handler table and routes -> app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import FastAPI
from orderpulse.events import ORDERS
from orderpulse.http.app import create_app
from orderpulse.runtime import Platform

from fulfillment_svc.adapters.unit_of_work import SqlUnitOfWork
from fulfillment_svc.entrypoints.consumer import handler_table
from fulfillment_svc.entrypoints.errors import install_error_handlers
from fulfillment_svc.entrypoints.links import LINKS
from fulfillment_svc.entrypoints.openapi import add_extra_schemas
from fulfillment_svc.entrypoints.routes import carriers, fulfillments, labor, returns, stock
from fulfillment_svc.service_layer.context import Policy, ServiceContext, new_id, utcnow
from fulfillment_svc.settings import FulfillmentSettings

# the most PostgreSQL connections one process holds, per unit of ORDERPULSE_DATABASE_POOL_SIZE: what
# the deployment budgets max_connections with (tests/deploy/test_connection_budget.py)
DATABASE_CONNECTIONS_PER_POOL_SIZE = Platform.MAX_CONNECTIONS_PER_POOL_SIZE

DESCRIPTION = """Warehouses, stock and reservations, fulfillments, shipments, carrier scans and labor shifts.

Confirmed orders (`orderpulse.order.confirmed.v1`) become fulfillments: stock is reserved, what
is short is backordered and ships later as another shipment. Everything that happens is
published on `orderpulse.fulfillment`, keyed by order id."""


def build_app(
    settings: FulfillmentSettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    id_source: Callable[[str], str] = new_id,
) -> FastAPI:
    schema = settings.db_schema
    platform: Platform  # assigned below; the unit-of-work factories only run once it exists

    ctx = ServiceContext(
        unit_of_work=lambda: SqlUnitOfWork.owning(platform.sessions, schema=schema),
        policy=Policy(
            default_warehouse_id=settings.default_warehouse_id,
            calendar=settings.calendar,
            clock_skew_allowance=timedelta(seconds=settings.scan_clock_skew_allowance_s),
            default_transit_business_days=settings.default_transit_business_days,
        ),
        clock=clock,
        new_id=id_source,
    )
    handlers = handler_table(ctx, lambda session: SqlUnitOfWork.joining(session, schema=schema))
    platform = Platform(settings, consumed_topics=(ORDERS,), handlers=handlers)
    app = create_app(
        settings=settings,
        title="OrderPulse fulfillment-svc",
        description=DESCRIPTION,
        routers=[stock.router, fulfillments.router, carriers.router, labor.router, returns.router],
        lifespan=platform.lifespan,
        readiness_checks=platform.readiness_checks,
        database_errors=platform.database_errors,
        links=LINKS,
    )
    app.state.fulfillment = ctx
    app.state.platform = platform
    install_error_handlers(app)
    add_extra_schemas(app)
    return app
