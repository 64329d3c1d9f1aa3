"""The platform of the services on SQLAlchemy's engine: the engine and its sessions, the outbox
relay, the idempotent consumers, due-work loops; the Kafka producer, readiness and the lifespan
come from `orderpulse.platform_base` (kpi-svc, on asyncpg alone, has `orderpulse.pool_platform`).

A service's `bootstrap.py` builds a `Platform` from its settings and handler table and uses
`platform.lifespan` as (part of) its FastAPI lifespan: every client is started there and
stopped there, and SIGTERM drains the consumers before the process exits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from orderpulse.db.engine import DATABASE_ERRORS, MAX_CONNECTIONS_PER_POOL_SIZE, create_engine, create_session_factory
from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.broker_reset import BrokerWatch
from orderpulse.messaging.consumer import Handler, IdempotentConsumer
from orderpulse.messaging.consumer_supervisor import SupervisedConsumer
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import create_consumer
from orderpulse.messaging.partition_anchors import KafkaRecordReader, PartitionAnchors
from orderpulse.messaging.relay import OutboxRelay
from orderpulse.platform_base import BasePlatform
from orderpulse.scheduling import DueWorkLoop
from orderpulse.settings import PlatformSettings

log = logging.getLogger(__name__)


class Platform(BasePlatform):
    database_errors = DATABASE_ERRORS
    # the most PostgreSQL connections it holds, per unit of `database_pool_size`: its engine's
    # (the relay, consumers, due-work loops and readiness all take theirs from the engine)
    MAX_CONNECTIONS_PER_POOL_SIZE = MAX_CONNECTIONS_PER_POOL_SIZE

    def __init__(
        self,
        settings: PlatformSettings,
        *,
        consumed_topics: Sequence[str] = (),
        handlers: Mapping[str, Handler] | None = None,
        run_relay: bool = True,
        loops: Sequence[DueWorkLoop] = (),
    ) -> None:
        super().__init__(settings)
        self.engine: AsyncEngine = create_engine(
            settings.database_url, schema=settings.db_schema, pool_size=settings.database_pool_size
        )
        self.sessions: async_sessionmaker[AsyncSession] = create_session_factory(self.engine)
        self._run_relay = run_relay
        self.relay: OutboxRelay | None = None
        self._consumed_topics = tuple(consumed_topics)
        self._handlers = dict(handlers or {})
        self.consumers: SupervisedConsumer | None = None
        self.loops = tuple(loops)

    def _build_relay(self) -> OutboxRelay:
        settings = self.settings
        return OutboxRelay(
            engine=self.engine,
            publisher=self.publisher,
            schema=settings.db_schema,
            service=settings.service_name,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
            retention_s=settings.outbox_retention_s,
            housekeeping_interval_s=settings.housekeeping_interval_s,
            broker_watch=BrokerWatch(
                self.publisher, settings.kafka_bootstrap,
                extra_topics=(dlq_topic(settings.service_name),) if self._consumed_topics else (),
            ),
            broker_check_interval_s=settings.broker_check_interval_s,
            idempotency_retention_s=settings.idempotency_retention_s,
        )

    @property
    def consumer(self) -> IdempotentConsumer | None:
        """The consumer running now (a new one after each restart)."""
        return self.consumers.current if self.consumers is not None else None

    def _more_readiness_checks(self):
        checks = {}
        if self.loops:
            checks["due_work"] = self.due_work_ready
        if self._consumed_topics:
            checks["consumer"] = self.consumer_ready
        return checks

    async def consumer_ready(self) -> bool:
        """False while the consumer is joining its group or being restarted after it died."""
        return self.consumers is not None and self.consumers.running

    async def due_work_ready(self) -> bool:
        """False while any due-work loop keeps failing (its timers are not being served)."""
        return all(loop.healthy for loop in self.loops)

    async def database_ready(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def start(self) -> None:
        await super().start()
        # Due work needs only the database: its effects go through the outbox.
        for loop in self.loops:
            self._tasks.append(asyncio.create_task(loop.run(), name=f"due-work-{loop.name}"))

    def _producer_ready(self) -> None:
        if self._run_relay:
            self.relay = self._build_relay()
            self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        if self._consumed_topics:
            self.consumers = SupervisedConsumer(self._new_kafka_consumer, self._new_consumer)
            self._tasks.append(asyncio.create_task(self.consumers.run(), name="consumer"))

    def _new_kafka_consumer(self) -> AIOKafkaConsumer:
        return create_consumer(self.settings, *self._consumed_topics, group_id=self.settings.service_name)

    def _new_consumer(self, kafka_consumer: AIOKafkaConsumer) -> IdempotentConsumer:
        return IdempotentConsumer(
            consumer=kafka_consumer,
            session_factory=self.sessions,
            handlers=self._handlers,
            dead_letters=DeadLetterQueue(self.publisher, self.settings.service_name),
            service=self.settings.service_name,
            max_attempts=self.settings.consumer_max_attempts,
            retry_backoff_s=self.settings.consumer_retry_backoff_s,
            dedup_retention_s=self.settings.dedup_retention_s,
            housekeeping_interval_s=self.settings.housekeeping_interval_s,
            anchors=PartitionAnchors(KafkaRecordReader(self.settings.kafka_bootstrap),
                                     interval_s=self.settings.broker_check_interval_s),
        )

    async def _stop_work(self) -> None:
        if self.consumers is not None:
            self.consumers.stop()
            consuming = next(task for task in self._tasks if task.get_name() == "consumer")
            try:
                await asyncio.wait_for(asyncio.shield(consuming), 15.0)
            except TimeoutError:
                log.warning("consumer did not drain in time")
            except Exception:
                pass
        if self.relay is not None:
            self.relay.stop()
        for loop in self.loops:
            loop.stop()

    async def _close_database(self) -> None:
        await self.engine.dispose()
