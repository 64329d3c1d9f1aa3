"""The one place notify-svc is wired: settings -> platform (database, broker, relay, consumer,
sender loop) -> service context -> handler table and routes -> app."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI
from orderpulse.events import CUSTOMERS, FEEDBACK, FULFILLMENT, ORDERS
from orderpulse.http.app import create_app
from orderpulse.runtime import Platform
from orderpulse.scheduling import DueWorkLoop
from orderpulse.signed_tokens import TokenSigner

from notify_svc.adapters.batching import BatchUnitOfWork
from notify_svc.adapters.channels import build_sender
from notify_svc.adapters.unit_of_work import SqlUnitOfWork
from notify_svc.domain.retry import RetryPolicy
from notify_svc.entrypoints.consumer import handler_table
from notify_svc.entrypoints.errors import install_error_handlers
from notify_svc.entrypoints.links import LINKS
from notify_svc.entrypoints.routes import courtesy_calls, notifications, preferences
from notify_svc.service_layer.context import NotifyPolicy, ServiceContext, utcnow
from notify_svc.service_layer.ports import Channels
from notify_svc.service_layer.sending import run_due
from notify_svc.settings import TRACKING_SECRET, NotifySettings

# the most PostgreSQL connections one process holds, per unit of ORDERPULSE_DATABASE_POOL_SIZE: what
# the deployment budgets max_connections with (tests/deploy/test_connection_budget.py)
DATABASE_CONNECTIONS_PER_POOL_SIZE = Platform.MAX_CONNECTIONS_PER_POOL_SIZE

DESCRIPTION = """Customers hear about every milestone of their order, exactly once, on the right channels.

Consumes `orderpulse.customers`, `orderpulse.orders`, `orderpulse.fulfillment` and
`orderpulse.feedback`; sends email (SMTP), SMS and webhooks (HTTP, Standard Webhooks signatures);
keeps the account managers' courtesy-call list; publishes what customers were told on
`orderpulse.notifications`."""

ORDER_SVC_LOCAL_URL = "http://127.0.0.1:8001"
log = logging.getLogger(__name__)


def policy_from(settings: NotifySettings) -> NotifyPolicy:
    return NotifyPolicy(
        digest_window=timedelta(seconds=settings.digest_window_s),
        stale_after=timedelta(seconds=settings.stale_after_s),
        call_within=timedelta(seconds=settings.courtesy_call_within_s),
        working_hours=settings.business_hours(),
        retries={
            channel: RetryPolicy(attempts, settings.retry_base_s, settings.retry_cap_s)
            for channel, attempts in settings.retry_max_attempts.items()
        },
        unit_costs=dict(settings.notification_unit_costs),
        sender_batch_size=settings.sender_batch_size,
        sender_concurrency=settings.sender_concurrency,
    )


class EverySender:
    """Wakes every sender loop: the idle ones claim what a commit made due (rows others hold they skip)."""

    def __init__(self, loops: list[DueWorkLoop]) -> None:
        self._loops = loops

    def nudge(self) -> None:
        for loop in self._loops:
            loop.nudge()


def tracking_links(settings: NotifySettings) -> Callable[[str, datetime], str]:
    """`<order-svc public URL>/track/<token>`, the token signed for the order id."""
    secret = settings.secret(TRACKING_SECRET)
    if not secret:
        if settings.environment == "production":
            raise ValueError(f"notify-svc needs the `{TRACKING_SECRET}` signing secret to link emails to the tracking page")
        # local or test without one: links are signed with a throw-away secret order-svc cannot check
        log.warning("no `tracking` signing secret: tracking links in emails will not open")
        secret = secrets.token_urlsafe(32)
    signer = TokenSigner(secret, purpose="tracking")
    base = settings.public_url("order-svc", ORDER_SVC_LOCAL_URL)
    ttl = timedelta(seconds=settings.tracking_link_ttl_s)
    return lambda order_id, now: f"{base}/track/{signer.sign(order_id, expires_at=now + ttl)}"


def build_app(
    settings: NotifySettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    channels: Channels | None = None,
) -> FastAPI:
    schema = settings.db_schema
    platform: Platform  # assigned below; the unit-of-work factories only run once it exists
    sender = build_sender(settings, clock=clock)
    ctx = ServiceContext(
        unit_of_work=lambda: SqlUnitOfWork.owning(platform.sessions, schema=schema),
        channels=channels or sender,
        tracking_url=tracking_links(settings),
        policy=policy_from(settings),
        clock=clock,
    )
    senders = [
        DueWorkLoop(
            "notification-sender",
            lambda now: run_due(ctx, now),
            service=settings.service_name,
            clock=clock,
            max_sleep_s=settings.sender_max_sleep_s,
        )
        for _ in range(settings.sender_workers)
    ]
    ctx.sender = EverySender(senders)
    handlers = handler_table(ctx, lambda session: BatchUnitOfWork.joining(session, schema=schema))
    platform = Platform(
        settings, consumed_topics=(CUSTOMERS, ORDERS, FULFILLMENT, FEEDBACK), handlers=handlers, loops=senders
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with platform.lifespan(app):
            try:
                yield
            finally:
                await sender.close()

    app = create_app(
        settings=settings,
        title="OrderPulse notify-svc",
        description=DESCRIPTION,
        routers=[preferences.router, notifications.router, courtesy_calls.router],
        lifespan=lifespan,
        readiness_checks=platform.readiness_checks,
        database_errors=platform.database_errors,
        links=LINKS,
    )
    app.state.notify = ctx
    app.state.platform = platform
    install_error_handlers(app)
    return app
