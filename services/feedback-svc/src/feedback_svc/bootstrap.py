"""The one place feedback-svc is wired: settings -> platform (database, broker, relay, consumer,
due-work loop) -> service context -> handler table and routes -> app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import FastAPI
from orderpulse.events import CUSTOMERS, FULFILLMENT, ORDERS
from orderpulse.http.app import create_app
from orderpulse.runtime import Platform
from orderpulse.scheduling import DueWorkLoop

from feedback_svc.adapters.unit_of_work import SqlUnitOfWork
from feedback_svc.domain.survey_links import SurveyLinks
from feedback_svc.entrypoints.consumer import handler_table
from feedback_svc.entrypoints.errors import install_error_handlers
from feedback_svc.entrypoints.links import LINKS
from feedback_svc.entrypoints.metrics import PrometheusObserver
from feedback_svc.entrypoints.routes import issues, survey_pages, surveys
from feedback_svc.service_layer.context import Policy, ServiceContext, new_id, utcnow
from feedback_svc.service_layer.due_work import DueWorkPass
from feedback_svc.settings import FeedbackSettings

# the most PostgreSQL connections one process holds, per unit of ORDERPULSE_DATABASE_POOL_SIZE: what
# the deployment budgets max_connections with (tests/deploy/test_connection_budget.py)
DATABASE_CONNECTIONS_PER_POOL_SIZE = Platform.MAX_CONNECTIONS_PER_POOL_SIZE

DESCRIPTION = """Post-delivery surveys and customer issues on live SLA clocks.

A survey is requested `ORDERPULSE_SURVEY_DELAY` after an order is delivered
(`orderpulse.fulfillment.completed.v1`), with a signed, expiring link to an HTML page; answers
come from that page's form or as JSON. Issues get an acknowledge and a resolve deadline, and
`issue.sla_breached` is published the moment a deadline passes. Everything that happens is
published on `orderpulse.feedback`, keyed by order id."""


def build_app(
    settings: FeedbackSettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    id_source: Callable[[str], str] = new_id,
) -> FastAPI:
    schema = settings.db_schema
    platform: Platform  # assigned below; the unit-of-work factories only run once it exists
    loop: DueWorkLoop

    ctx = ServiceContext(
        unit_of_work=lambda: SqlUnitOfWork.owning(platform.sessions, schema=schema),
        links=SurveyLinks(settings.survey_secret(), public_url=settings.public_url),
        policy=Policy(
            survey_delay=settings.survey_delay_duration,
            survey_valid_for=settings.survey_expiry_duration,
            sla=settings.sla_policy(),
            due_batch_size=settings.due_work_batch_size,
        ),
        clock=clock,
        new_id=id_source,
        nudge=lambda: loop.nudge(),
        observer=PrometheusObserver(),
    )
    loop = DueWorkLoop(
        "surveys-and-sla-clocks",
        DueWorkPass(ctx),
        service=settings.service_name,
        clock=clock,
        max_sleep_s=settings.due_work_max_sleep_s,
    )
    handlers = handler_table(
        ctx,
        lambda session: SqlUnitOfWork.joining(session, schema=schema),
        loop,
        nudge_horizon=timedelta(seconds=settings.due_work_max_sleep_s),
    )
    platform = Platform(settings, consumed_topics=(ORDERS, FULFILLMENT, CUSTOMERS), handlers=handlers, loops=[loop])
    app = create_app(
        settings=settings,
        title="OrderPulse feedback-svc",
        description=DESCRIPTION,
        routers=[issues.router, surveys.router, survey_pages.router],
        lifespan=platform.lifespan,
        readiness_checks=platform.readiness_checks,
        database_errors=platform.database_errors,
        links=LINKS,
    )
    app.state.feedback = ctx
    app.state.platform = platform
    app.state.due_work = loop
    install_error_handlers(app)
    return app
