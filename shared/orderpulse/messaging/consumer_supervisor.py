"""Keeps a service's idempotent consumer running: joins its group, and when the consumer task dies
(an aiokafka call during a rebalance, a bug) leaves the group and joins again with backoff.

`running` is what readiness reports: False while joining, and from a crash until the new
consumer has joined, so `/readyz` answers 503 while the service is not consuming.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer

from orderpulse.messaging.consumer import IdempotentConsumer

log = logging.getLogger(__name__)

ConsumerFactory = Callable[[AIOKafkaConsumer], IdempotentConsumer]


class SupervisedConsumer:
    def __init__(
        self,
        make_kafka_consumer: Callable[[], AIOKafkaConsumer],
        make_consumer: ConsumerFactory,
        *,
        first_backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        healthy_after_s: float = 60.0,
    ) -> None:
        self._make_kafka_consumer = make_kafka_consumer
        self._make_consumer = make_consumer
        self._first_backoff_s = first_backoff_s
        self._max_backoff_s = max_backoff_s
        self._healthy_after_s = healthy_after_s
        self._stopping = asyncio.Event()
        self.current: IdempotentConsumer | None = None
        self.running = False
        self.restarts = 0

    def stop(self) -> None:
        """The consumer finishes the batch in hand, commits it, and the supervisor returns."""
        self._stopping.set()
        if self.current is not None:
            self.current.stop()

    async def run(self) -> None:
        backoff_s = self._first_backoff_s
        while not self._stopping.is_set():
            kafka_consumer = self._make_kafka_consumer()
            started_at = time.monotonic()
            try:
                self.current = self._make_consumer(kafka_consumer)  # subscribes before the consumer starts
                if not await self._join(kafka_consumer):
                    return
                self.running = True
                await self.current.run()
                if self._stopping.is_set():
                    return
                raise RuntimeError("consumer loop returned without being stopped")
            except asyncio.CancelledError:
                raise
            except Exception:
                self.restarts += 1
                log.exception("consumer died; it will be started again", extra={"retry_in_s": backoff_s})
            finally:
                self.running = False
                with contextlib.suppress(Exception):
                    await kafka_consumer.stop()
            if time.monotonic() - started_at > self._healthy_after_s:
                backoff_s = self._first_backoff_s
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), backoff_s)
            backoff_s = min(backoff_s * 2, self._max_backoff_s)

    async def _join(self, kafka_consumer: AIOKafkaConsumer) -> bool:
        """Start the consumer, retrying while the broker is away; False when stopped meanwhile."""
        delay_s = 0.5
        while not self._stopping.is_set():
            try:
                await kafka_consumer.start()
                return True
            except Exception as error:
                log.warning("consumer cannot join; retrying", extra={"error": repr(error), "retry_in_s": delay_s})
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay_s)
                delay_s = min(delay_s * 2, 10.0)
        return False
