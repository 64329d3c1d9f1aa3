"""What every service's platform has, whatever its database layer: the Kafka producer (started in
the background, retried while the broker is away), the database's and the broker's readiness, and
the lifespan that starts and stops it all.

Two platforms build on it: `orderpulse.runtime.Platform`, on SQLAlchemy's engine (the outbox
relay, the idempotent consumer and due-work loops run on its sessions), and
`orderpulse.pool_platform.PoolPlatform`, on asyncpg connections alone (kpi-svc: its process never
loads SQLAlchemy). Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaProducer

from orderpulse.db.errors import DRIVER_ERRORS
from orderpulse.messaging.kafka import KafkaPublisher, create_producer
from orderpulse.settings import PlatformSettings

if TYPE_CHECKING:
    from orderpulse.http.health import ReadinessCheck

log = logging.getLogger(__name__)


class BasePlatform:
    # what the database layer raises when the database is away or a transaction met another (create_app's)
    database_errors: tuple[type[BaseException], ...] = DRIVER_ERRORS

    def __init__(self, settings: PlatformSettings) -> None:
        self.settings = settings
        # Kafka clients are created on first use: aiokafka needs the running event loop, and a
        # service's `main.py` builds its app at import, before uvicorn starts the loop.
        self._producer: AIOKafkaProducer | None = None
        self._publisher: KafkaPublisher | None = None
        self._tasks: list[asyncio.Task] = []
        self._producer_started = asyncio.Event()

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

    @property
    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        return {"database": self.database_ready, "broker": self.broker_ready, **self._more_readiness_checks()}

    def _more_readiness_checks(self) -> dict[str, ReadinessCheck]:
        return {}

    async def database_ready(self) -> bool:
        """True once a trivial statement ran (readiness gives it 3 s; any error means not ready)."""
        raise NotImplementedError

    async def broker_ready(self) -> bool:
        if not self._producer_started.is_set():
            return False
        return bool(await self.producer.client.force_metadata_update())

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._start_kafka_parts(), name="kafka-start"))

    async def _start_kafka_parts(self) -> None:
        """Start the producer, retrying while the broker is away, then what needs it."""
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
        self._producer_ready()

    def _producer_ready(self) -> None:
        """Start what needs the producer (a platform's relay, consumers): tasks in `self._tasks`."""

    async def _stop_work(self) -> None:
        """Stop (drain) what `start` and `_producer_ready` started, before their tasks are cancelled."""

    async def _close_database(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        await self._stop_work()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._producer is not None:  # stopping one that never started is harmless and closes it
            await self._producer.stop()
        await self._close_database()

    @asynccontextmanager
    async def lifespan(self, _app=None) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()
