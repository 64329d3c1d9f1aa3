"""The running parts every service has: database engine, Kafka producer, outbox relay, consumers.

A service's `bootstrap.py` builds a `Platform` from its settings and handler table and uses
`platform.lifespan` as (part of) its FastAPI lifespan: every client is started there and
stopped there, and SIGTERM drains the consumers before the process exits.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from orderpulse.db.engine import create_engine, create_session_factory
from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.broker_reset import BrokerWatch
from orderpulse.messaging.consumer import Handler, IdempotentConsumer
from orderpulse.messaging.consumer_supervisor import SupervisedConsumer
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import KafkaPublisher, create_consumer, create_producer
from orderpulse.messaging.partition_anchors import KafkaRecordReader, PartitionAnchors
from orderpulse.messaging.relay import OutboxRelay
from orderpulse.scheduling import DueWorkLoop
from orderpulse.settings import PlatformSettings

log = logging.getLogger(__name__)


def freeze_startup_heap() -> None:
    """Keep what start-up built (modules, the app, its models and schemas: ~10^5 objects) out of
    the garbage collector's full passes, which otherwise walk all of it every second or so under
    load and stop the event loop for 0.2 s each time (docs/benchmarks.md, order entry). Call once,
    from `main.py`, after the app is built: the garbage is collected first, and what survives is
    never freed, which is what start-up objects are for anyway."""
    gc.collect()
    gc.freeze()


YOUNG_COLLECTION_THRESHOLD = 10_000


def collect_young_objects_less_often(threshold: int = YOUNG_COLLECTION_THRESHOLD) -> None:
    """Run the garbage collector's youngest pass after `threshold` more container objects instead
    of CPython's 700. A consumer batch holds its records, envelopes and domain objects (tens of
    thousands) until it commits: at 700 every young pass walks the batch's survivors and every
    tenth one the middle generation they were moved to, ~10 % of order-svc's consumer CPU
    (docs/benchmarks.md). At 10,000 most of a batch is freed by reference counting before a pass
    sees it. Memory stays bounded: at most `threshold` objects more wait for a pass, and the
    older generations keep their settings (a pass over 10,000 objects takes a few milliseconds).
    Call once, from `main.py`, beside `freeze_startup_heap`."""
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(max(young, threshold), middle, oldest)


class Platform:
    def __init__(
        self,
        settings: PlatformSettings,
        *,
        consumed_topics: Sequence[str] = (),
        handlers: Mapping[str, Handler] | None = None,
        run_relay: bool = True,
        loops: Sequence[DueWorkLoop] = (),
    ) -> None:
        self.settings = settings
        self.engine: AsyncEngine = create_engine(
            settings.database_url, schema=settings.db_schema, pool_size=settings.database_pool_size
        )
        self.sessions: async_sessionmaker[AsyncSession] = create_session_factory(self.engine)
        # Kafka clients are created on first use: aiokafka needs the running event loop, and a
        # service's `main.py` builds its app at import, before uvicorn starts the loop.
        self._producer: AIOKafkaProducer | None = None
        self._publisher: KafkaPublisher | None = None
        self._run_relay = run_relay
        self.relay: OutboxRelay | None = None
        self._consumed_topics = tuple(consumed_topics)
        self._handlers = dict(handlers or {})
        self.consumers: SupervisedConsumer | None = None
        self._tasks: list[asyncio.Task] = []
        self._producer_started = asyncio.Event()
        self.loops = tuple(loops)

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = create_producer(self.settings)
        return self._producer

    @property
    def publisher(self) -> KafkaPublisher:
        if self._publisher is None:
            self._publisher = KafkaPublisher(self.producer)
        return self._publisher

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

    @property
    def readiness_checks(self):
        checks = {"database": self.database_ready, "broker": self.broker_ready}
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

    async def broker_ready(self) -> bool:
        if not self._producer_started.is_set():
            return False
        return bool(await self.producer.client.force_metadata_update())

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._start_kafka_parts(), name="kafka-start"))
        # Due work needs only the database: its effects go through the outbox.
        for loop in self.loops:
            self._tasks.append(asyncio.create_task(loop.run(), name=f"due-work-{loop.name}"))

    async def _start_kafka_parts(self) -> None:
        """Start the producer, relay and consumer, retrying while the broker is away."""
        delay_s = 0.5
        while True:
            try:
                await self.producer.start()
                break
            except Exception as error:
                log.warning("broker unreachable; retrying", extra={"error": repr(error), "retry_in_s": delay_s})
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, 10.0)
        self._producer_started.set()
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

    async def stop(self) -> None:
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
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._producer is not None:  # stopping one that never started is harmless and closes it
            await self._producer.stop()
        await self.engine.dispose()

    @asynccontextmanager
    async def lifespan(self, _app=None) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()
