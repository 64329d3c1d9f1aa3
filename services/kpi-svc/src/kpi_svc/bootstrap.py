"""The one place kpi-svc is wired: settings -> platform (asyncpg connections, the producer for the
DLQ; no SQLAlchemy: orderpulse.pool_platform) -> the stream (engines per partition, checkpoints)
-> the app and its gauges."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from orderpulse.http.app import create_app
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.partition_anchors import KafkaRecordReader, PartitionAnchors
from orderpulse.pool_platform import PoolPlatform

from kpi_svc.adapters.checkpoint_store import CheckpointStore
from kpi_svc.domain import KPI_NAMES, merge_reports
from kpi_svc.entrypoints import metrics
from kpi_svc.entrypoints.routes import router
from kpi_svc.entrypoints.stream import KpiStream, kafka_consumer_factory, wall_ms
from kpi_svc.settings import KpiSettings

log = logging.getLogger(__name__)

# the most PostgreSQL connections one process holds, per unit of ORDERPULSE_DATABASE_POOL_SIZE: what
# the deployment budgets max_connections with (tests/deploy/test_connection_budget.py)
DATABASE_CONNECTIONS_PER_POOL_SIZE = PoolPlatform.MAX_CONNECTIONS_PER_POOL_SIZE

DESCRIPTION = """\
Perfect order and the other KPIs of kpis.md, computed from the event stream on event time,
exactly once per event. Every route needs `Authorization: Bearer <api key>` of `support`,
`account_manager` or `admin`; a `carrier:<code>` key reads its own carrier's figures only
(`GET /v1/kpis?by=carrier`). Errors are `application/problem+json`.
"""


def build_stream(settings: KpiSettings, platform: PoolPlatform) -> KpiStream:
    """The stream loop without HTTP (the benchmark uses it alone)."""
    topics = settings.topics
    prefix = settings.topic_prefix
    return KpiStream(
        store=CheckpointStore(platform.connections),
        rules=settings.rules,
        consumer_factory=kafka_consumer_factory(settings, topics, settings.group_id),
        topics=topics,
        dead_letters=lambda: DeadLetterQueue(platform.publisher, settings.service_name),
        checkpoint_interval_s=settings.checkpoint_interval_s,
        catch_up_checkpoint_interval_s=settings.catch_up_checkpoint_interval_s,
        remote_refresh_s=settings.remote_refresh_s,
        topic_label=lambda topic: topic[len(prefix):],
        service=settings.service_name,
        retry_max_s=settings.stream_retry_max_s,
        anchors=PartitionAnchors(KafkaRecordReader(settings.kafka_bootstrap), interval_s=settings.broker_check_interval_s),
    )


def gauge_source(stream: KpiStream):
    def families() -> list:
        now_ms = wall_ms()
        sources = stream.sources()
        reports = {window: merge_reports(sources, window, now_ms, None, stream.rules) for window in stream.rules.windows}
        targets = {kpi: stream.rules.target(kpi) for kpi in KPI_NAMES}
        return metrics.gauge_families(reports, targets, stream.freshness_s(now_ms), stream.open_orders())

    return families


async def run_stream(stream: KpiStream, retry_max_s: float = 30.0) -> None:
    """Run the loop, restarting it after any failure (the checkpoint makes a restart exact); until
    it works again kpi-svc is not ready (stream.health)."""
    delay_s = 1.0
    while True:
        started = asyncio.get_running_loop().time()
        try:
            await stream.run()
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if asyncio.get_running_loop().time() - started > 60:
                delay_s = 1.0  # it ran for a while: a new failure, not the same one again
            log.exception("kpi stream failed; restarting from the checkpoint", extra={"retry_in_s": delay_s})
            stream.health.failing("stream", error, retry_in_s=delay_s)
            stream.reset()
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, retry_max_s)


def stream_readiness(stream: KpiStream):
    async def stream_ready() -> bool | str:
        reason = stream.health.reason()
        return True if reason is None else reason

    return stream_ready


def build_app(settings: KpiSettings) -> FastAPI:
    platform = PoolPlatform(settings)
    stream = build_stream(settings, platform)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with platform.lifespan(app):
            task = asyncio.create_task(run_stream(stream), name="kpi-stream")
            metrics.gauges.attach(gauge_source(stream), settings.gauge_max_age_s)
            try:
                yield
            finally:
                metrics.gauges.attach(None)
                stream.stop()
                try:
                    await asyncio.wait_for(asyncio.shield(task), 15.0)
                except (TimeoutError, Exception):
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

    app = create_app(
        settings=settings,
        title="kpi-svc",
        description=DESCRIPTION,
        routers=[router],
        lifespan=lifespan,
        readiness_checks={**platform.readiness_checks, "stream": stream_readiness(stream)},
        database_errors=platform.database_errors,
    )
    app.state.platform = platform
    app.state.stream = stream
    return app
