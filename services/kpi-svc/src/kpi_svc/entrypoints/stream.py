"""kpi-svc's own consumer loop: state lives in memory (one KpiEngine per partition) and is
checkpointed with the consumer offsets in ONE PostgreSQL transaction about once a second.

Not the shared IdempotentConsumer: duplicates are recognised by the engines (event ids per
order), offsets live in PostgreSQL beside the state, so a restart resumes exactly where the
checkpoint stands. All five topics are co-partitioned by order id and assigned with the range
assignor, so partition p of every topic lands on the same replica and one engine sees all of an
order's events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from orderpulse.events import EVENT_TYPES
from orderpulse.messaging.dead_letters import MAX_EVENT_BYTES, DeadLetter, DeadLetterQueue
from orderpulse.messaging.kafka import create_consumer

from kpi_svc.adapters.checkpoint_store import CheckpointStore
from kpi_svc.domain import DUPLICATE, InvalidEvent, KpiEngine, KpiRules
from kpi_svc.entrypoints import metrics

log = logging.getLogger(__name__)

KNOWN_TYPES = frozenset(EVENT_TYPES)
_REQUIRED = ("id", "type", "time", "data")
_loads = orjson.loads
_JSONError = orjson.JSONDecodeError
CATCH_UP_LAG_MS = 60_000  # a partition whose watermark is older than this is catching up


def wall_ms() -> int:
    return int(time.time() * 1000)


def poison_reason(event: object) -> str | None:
    """The cheap structural check before an event reaches an engine."""
    if type(event) is not dict:
        return "not a JSON object"
    for name in _REQUIRED:
        if name not in event:
            return f"not a CloudEvent: {name} missing"
    if event["type"] not in KNOWN_TYPES:
        return f"unknown event type {event['type']!r}"
    return None


class KpiStream:
    """Engines per partition, fed from Kafka, checkpointed to PostgreSQL. Callable without HTTP
    (the benchmark drives it directly): `await stream.run()`, `stream.stop()`."""

    def __init__(
        self,
        *,
        store: CheckpointStore,
        rules: KpiRules,
        consumer_factory: Callable[[], AIOKafkaConsumer],
        topics: tuple[str, ...],
        dead_letters: Callable[[], DeadLetterQueue] | None,
        checkpoint_interval_s: float = 1.0,
        remote_refresh_s: float = 1.0,
        topic_label: Callable[[str], str] = lambda topic: topic,
        clock_ms: Callable[[], int] = wall_ms,
    ) -> None:
        self.store, self.rules, self.topics = store, rules, topics
        self._consumer_factory = consumer_factory
        self._dead_letters_factory = dead_letters
        self._dead_letters: DeadLetterQueue | None = None
        self._interval_s = checkpoint_interval_s
        self._remote_refresh_s = remote_refresh_s
        self._label = {topic: topic_label(topic) for topic in topics}
        self._clock_ms = clock_ms
        self.engines: dict[int, KpiEngine] = {}
        self.remote: dict[int, dict] = {}  # other replicas' partitions: their checkpointed bucket rows
        self._remote_at = 0.0
        self._positions: dict[TopicPartition, int] = {}  # next offset, applied but not yet checkpointed
        self._event_ms: dict[TopicPartition, int] = {}  # event time of the last record read per topic-partition
        self._read_pos: dict[TopicPartition, int] = {}  # next offset to read per topic-partition
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.consumer: AIOKafkaConsumer | None = None
        self.checkpoints = 0
        self.first_batch_at: float | None = None  # monotonic times, for the benchmark
        self.last_batch_at: float | None = None
        self.final_checkpoint_s = 0.0
        self.applied = 0
        self.dead_lettered = 0

    # --- lifecycle ---------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopping.set()

    def reset(self) -> None:
        """Forget all in-memory state (after a failure): the next assignment restores the checkpoint."""
        self.engines.clear()
        self._positions.clear()
        self._event_ms.clear()
        self._read_pos.clear()

    async def run(self, *, until_idle: bool = False) -> None:
        """Consume until stopped (or, with until_idle, until every assigned partition is read to its end)."""
        if self._dead_letters_factory is not None and self._dead_letters is None:
            self._dead_letters = self._dead_letters_factory()
        consumer = self.consumer = self._consumer_factory()
        consumer.subscribe(list(self.topics), listener=_Listener(self))
        await consumer.start()
        try:
            last = time.monotonic()
            idle_polls = 0
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=100)
                async with self._lock:
                    if batch:
                        if self.first_batch_at is None:
                            self.first_batch_at = time.monotonic()
                        await self._apply(batch)
                        self.last_batch_at = time.monotonic()
                    if time.monotonic() - last >= self._interval_s:
                        await self.checkpoint()
                        last = time.monotonic()
                idle_polls = 0 if batch else idle_polls + 1
                if until_idle and not batch and (self._caught_up() or idle_polls >= 30):
                    break
            async with self._lock:
                started = time.monotonic()
                await self.checkpoint()
                self.final_checkpoint_s = time.monotonic() - started
        finally:
            await consumer.stop()

    def _caught_up(self) -> bool:
        consumer = self.consumer
        assignment = consumer.assignment()
        if not assignment:
            return False
        for tp in assignment:
            high = consumer.highwater(tp)
            if high is None or (high > 0 and self._read_pos.get(tp, 0) < high):
                return False
        return True

    # --- applying records --------------------------------------------------------------------
    async def _apply(self, batch: dict) -> None:
        letters: list[DeadLetter] = []
        engines, positions, loads = self.engines, self._positions, _loads
        for tp, records in batch.items():
            engine = engines.get(tp.partition)
            if engine is None:  # revoked while the batch was in flight
                continue
            expected = self._read_pos.get(tp)
            if expected is not None and records[0].offset < expected:
                # fetched before the assignment's seek to the checkpointed offset: already in the state
                records = [record for record in records if record.offset >= expected]
                if not records:
                    continue
            apply = engine.apply
            applied = duplicates = 0
            for record in records:
                value = record.value
                try:
                    if value is None or len(value) > MAX_EVENT_BYTES:
                        raise InvalidEvent(f"record value missing or larger than {MAX_EVENT_BYTES} bytes")
                    try:
                        event = loads(value)
                    except _JSONError as error:
                        raise InvalidEvent(f"value is not JSON: {error}") from None
                    reason = poison_reason(event)
                    if reason is not None:
                        raise InvalidEvent(reason)
                    if apply(event) is DUPLICATE:
                        duplicates += 1
                    applied += 1
                except InvalidEvent as error:
                    letters.append(DeadLetter(record, str(error), 1))
            last = records[-1]
            positions[tp] = self._read_pos[tp] = last.offset + 1
            self._note_event_time(tp, last)
            label = self._label[tp.topic]
            metrics.events.labels(label).inc(applied)
            if duplicates:
                metrics.duplicates.labels(label).inc(duplicates)
            self.applied += applied
        if letters:
            self.dead_lettered += len(letters)
            if self._dead_letters is not None:
                await self._dead_letters.send(letters)

    def _note_event_time(self, tp: TopicPartition, record) -> None:
        try:
            moment = _loads(record.value)["time"]
            self._event_ms[tp] = round(datetime.fromisoformat(moment).timestamp() * 1000)
        except Exception:  # a poison record ends the batch: keep the previous time
            pass

    def watermark_ms(self, partition: int, now_ms: int) -> int | None:
        """The event-time watermark of one partition: the slowest of its topic-partitions still
        lagging (event time of its last record read); one read to its end counts as the wall
        clock. None (hold the clock) while a lagging topic-partition has not returned a record yet."""
        consumer = self.consumer
        lowest = now_ms
        for topic in self.topics:
            tp = TopicPartition(topic, partition)
            high = consumer.highwater(tp) if consumer is not None else None
            if high is not None and self._read_pos.get(tp, 0) >= high:
                continue
            event_ms = self._event_ms.get(tp)
            if event_ms is None:
                return None
            lowest = min(lowest, event_ms)
        return lowest

    # --- checkpoints -------------------------------------------------------------------------
    async def checkpoint(self) -> None:
        """Advance every engine's clock, then save their deltas and the offsets in one transaction."""
        now_ms = self._clock_ms()
        deltas = {}
        observations: list[tuple] = []
        for partition, engine in self.engines.items():
            watermark = self.watermark_ms(partition, now_ms)
            # catching up (the clock follows event time): leave reconciling to the next read or
            # to the checkpoint after catching up (docs/kpi-decisions.md, "Catching up")
            flush = watermark is not None and watermark >= now_ms - CATCH_UP_LAG_MS
            if watermark is not None:
                engine.advance(watermark, flush=flush)
            deltas[partition] = engine.dirty_snapshot(serialize=orjson.dumps, flush=flush)
            observations += engine.drain_observations()
        offsets = {(tp.topic, tp.partition): offset for tp, offset in self._positions.items()}
        if deltas or offsets:
            await self.store.save(deltas, offsets)
        self._positions = {}
        self.checkpoints += 1
        metrics.record_observations(observations)
        if time.monotonic() - self._remote_at >= self._remote_refresh_s:
            self._remote_at = time.monotonic()
            try:
                self.remote = await self.store.buckets_except(self.engines)
            except Exception as error:  # figures of other replicas are best effort
                log.warning("cannot read other replicas' buckets", extra={"error": repr(error)})

    async def assign(self, assigned: set[TopicPartition]) -> None:
        async with self._lock:
            for partition in sorted({tp.partition for tp in assigned} - set(self.engines)):
                stored = await self.store.load(partition)
                self.engines[partition] = KpiEngine.restore(self.rules, stored.orders, stored.buckets, stored.meta)
                self.remote.pop(partition, None)
            offsets = await self.store.offsets((tp.topic, tp.partition) for tp in assigned)
            beginning = []
            for tp in assigned:
                offset = offsets.get((tp.topic, tp.partition))
                if offset is None:
                    beginning.append(tp)
                    self._read_pos.pop(tp, None)
                else:
                    self.consumer.seek(tp, offset)
                    self._read_pos[tp] = offset
            if beginning:
                await self.consumer.seek_to_beginning(*beginning)

    async def revoke(self, revoked: set[TopicPartition]) -> None:
        async with self._lock:
            await self.checkpoint()
            for partition in {tp.partition for tp in revoked}:
                self.engines.pop(partition, None)
            for tp in revoked:
                self._event_ms.pop(tp, None)
                self._read_pos.pop(tp, None)

    # --- reads -------------------------------------------------------------------------------
    def sources(self) -> list:
        """Every partition's figures: local engines, other replicas' last checkpointed buckets."""
        return [*self.engines.values(), *(rows for p, rows in self.remote.items() if p not in self.engines)]

    def scorecard(self, order_id: str) -> dict | None:
        for engine in self.engines.values():
            found = engine.scorecard(order_id)
            if found is not None:
                return found
        return None

    def freshness_s(self, now_ms: int) -> float | None:
        newest = [e.newest_event_ms for e in self.engines.values() if e.newest_event_ms is not None]
        return None if not newest else max(0.0, (now_ms - max(newest)) / 1000)


class _Listener(ConsumerRebalanceListener):
    def __init__(self, stream: KpiStream) -> None:
        self._stream = stream

    async def on_partitions_revoked(self, revoked) -> None:
        await self._stream.revoke(set(revoked))

    async def on_partitions_assigned(self, assigned) -> None:
        await self._stream.assign(set(assigned))


def kafka_consumer_factory(settings, topics: tuple[str, ...], group_id: str) -> Callable[[], AIOKafkaConsumer]:
    def build() -> AIOKafkaConsumer:
        return create_consumer(
            settings, group_id=group_id, partition_assignment_strategy=(RangePartitionAssignor,),
            max_poll_records=max(settings.consumer_batch_size, 2000), fetch_max_bytes=52428800,
            max_partition_fetch_bytes=4 * 1048576,
        )

    return build
