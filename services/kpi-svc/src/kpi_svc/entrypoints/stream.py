"""kpi-svc's own consumer loop: state lives in memory (one KpiEngine per partition) and is
checkpointed with the consumer offsets in ONE PostgreSQL transaction about once a second; the
offsets are then committed to Kafka too (for lag tools; PostgreSQL stays the source of truth).
A checkpoint that fails keeps what it drained and holds every partition (nothing more is read)
until a retry succeeds; its state is reported by `health` (see stream_health.py).

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
from functools import partial

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from orderpulse.memory import release_free_heap
from orderpulse.messaging.dead_letters import DeadLetterQueue
from orderpulse.messaging.kafka import create_consumer
from orderpulse.messaging.partition_anchors import PartitionAnchors
from orderpulse.observability import metrics as platform_metrics

from kpi_svc.adapters.checkpoint_store import CheckpointStore, Fenced, StoredOffset
from kpi_svc.domain import CheckpointDelta, KpiEngine, KpiRules, merge_deltas
from kpi_svc.entrypoints import full_collections, metrics
from kpi_svc.entrypoints.ownership import Listener, PartitionOwnership
from kpi_svc.entrypoints.pending_deltas import PendingDeltas
from kpi_svc.entrypoints.records import RecordApplier, poison_reason
from kpi_svc.entrypoints.stream_health import StreamHealth

log = logging.getLogger(__name__)

__all__ = ["CATCH_UP_INTERVALS", "KpiStream", "kafka_consumer_factory", "poison_reason", "wall_ms"]
CATCH_UP_LAG_MS = 60_000  # a partition whose watermark is older than this is catching up
# the default catch-up interval, in checkpoint intervals (15 s at the default second): a checkpoint
# while catching up encodes and writes every open order (~1 - 3 s for 20,000), so at 15 s it costs
# ~7 - 20 % of the catch-up instead of 20 - 60 % at 5 s; a crash re-reads at most 15 s of records
# (docs/kpi-decisions.md, "Catching up")
CATCH_UP_INTERVALS = 15


def wall_ms() -> int:
    return int(time.time() * 1000)


def caught_up(watermark: int | None, now_ms: int) -> bool:
    """A partition whose watermark is this recent is live: its checkpoints reconcile and spill."""
    return watermark is not None and watermark >= now_ms - CATCH_UP_LAG_MS


class KpiStream(RecordApplier, PartitionOwnership):
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
        catch_up_checkpoint_interval_s: float | None = None,
        remote_refresh_s: float = 1.0,
        topic_label: Callable[[str], str] = lambda topic: topic,
        clock_ms: Callable[[], int] = wall_ms,
        service: str = "kpi-svc",
        retry_max_s: float = 10.0,
        anchors: PartitionAnchors | None = None,
    ) -> None:
        self.store, self.rules, self.topics, self.service = store, rules, topics, service
        self._anchors = anchors  # notices a topic rebuilt under the stream without a rebalance
        self._consumer_factory = consumer_factory
        self._dead_letters_factory = dead_letters
        self._dead_letters: DeadLetterQueue | None = None
        self._interval_s = checkpoint_interval_s
        # while a partition catches up a backlog every order changes between two checkpoints, so
        # a checkpoint costs about the same whenever it comes: rarer checkpoints, fewer encodings
        self._catch_up_interval_s = catch_up_checkpoint_interval_s or CATCH_UP_INTERVALS * checkpoint_interval_s
        self.catching_up = False  # some partition was catching up at the last checkpoint (or found so since)
        self._checkpointed_at = time.monotonic()  # when the interval to the next checkpoint started
        self._remote_refresh_s = remote_refresh_s
        self._retry_max_s = retry_max_s
        self._label = {topic: topic_label(topic) for topic in topics}
        self._records = {  # orderpulse_consumer_records_total children, like every other consumer
            (topic, outcome): platform_metrics.consumer_records_total.labels(service, topic, outcome)
            for topic in topics for outcome in ("applied", "duplicate", "ignored", "dead_lettered")
        }
        self._clock_ms = clock_ms
        self.health = StreamHealth()
        self.engines: dict[int, KpiEngine] = {}
        self.remote: dict[int, dict] = {}  # other replicas' partitions: their checkpointed bucket rows
        self._remote_at = 0.0
        self._housekeeping_at = 0.0
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.consumer: AIOKafkaConsumer | None = None
        self.checkpoints = 0
        self.first_batch_at: float | None = None  # monotonic times, for the benchmark
        self.last_batch_at: float | None = None
        self.final_checkpoint_s = 0.0
        self.applied = 0
        self.dead_lettered = 0
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopping.set()

    def reset(self) -> None:
        """Forget all in-memory state (after a failure): the next assignment restores the checkpoint."""
        self.engines.clear()
        self._positions: dict[TopicPartition, StoredOffset] = {}  # applied but not yet checkpointed
        self._event_ms: dict[TopicPartition, int] = {}  # event time of the last record read per topic-partition
        self._read_pos: dict[TopicPartition, int] = {}  # next offset to read per topic-partition
        self._verify: dict[TopicPartition, tuple[int, str]] = {}  # (offset, event id) the next record must match
        self._unrestored: set[TopicPartition] = set()  # assigned, paused until restored
        self._epochs: dict[int, int] = {}  # owner epoch per restored partition (fences stale checkpoints)
        self._unsaved: dict = {}  # deltas drained by a checkpoint that failed, written with the next one
        self._saving = PendingDeltas({})  # the deltas of the checkpoint being written
        self._observations: list[tuple] = []  # drained, recorded once their checkpoint is saved
        self._fenced: Fenced | None = None
        self._holding = False  # every partition paused while checkpoints fail
        self._retry_at = 0.0
        self._backoff_s = 0.0

    async def run(self, *, until_idle: bool = False) -> None:
        """Consume until stopped (or, with until_idle, until every assigned partition is read to its end)."""
        if self._dead_letters_factory is not None and self._dead_letters is None:
            self._dead_letters = self._dead_letters_factory()
        consumer = self.consumer = self._consumer_factory()
        consumer.subscribe(list(self.topics), listener=Listener(self))
        await consumer.start()
        # a stream starts with a backlog more often than not (a restart, a replay): as if catching
        # up until its first checkpoint says otherwise (the state grows fastest while still small)
        full_collections.defer(self)
        try:
            self._checkpointed_at = time.monotonic()
            idle_polls = 0
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=100)
                saved = None
                async with self._lock:
                    if self._fenced is not None:
                        raise self._fenced
                    if self._anchors is not None:
                        await self._read_rebuilt_partitions_again(batch)
                    if batch:
                        if self.first_batch_at is None:
                            self.first_batch_at = time.monotonic()
                        await self._apply(batch)
                        self.last_batch_at = time.monotonic()
                    retry_due = time.monotonic() >= self._retry_at
                    if self._unrestored and retry_due:
                        await self.restore_pending()
                    if (retry_due and self._checkpoint_due()) or (self._holding and retry_due):
                        saved = await self._checkpoint_or_hold()
                        self._checkpointed_at = time.monotonic()
                        self._pace_full_collections()
                        await self._watch_log_ends()
                if saved:
                    await self.commit_to_kafka(saved)
                idle_polls = 0 if batch else idle_polls + 1
                if until_idle and not batch and (self._caught_up() or idle_polls >= 30):
                    break
            async with self._lock:
                started = time.monotonic()
                try:
                    saved = await self.checkpoint()
                except Exception as error:  # the restart resumes from the previous checkpoint
                    log.warning("final checkpoint failed", extra={"error": repr(error)})
                    saved = {}
                self.final_checkpoint_s = time.monotonic() - started
            await self.commit_to_kafka(saved)
        finally:
            full_collections.resume(self)
            self.health.stopped()
            if self._anchors is not None:
                await self._anchors.close()
            await consumer.stop()

    def _checkpoint_due(self) -> bool:
        """The checkpoint interval has passed: every second when live, every
        `catch_up_checkpoint_interval_s` while some partition catches up. A stream not known to
        be catching up (it starts so, and a live one may fall behind) whose interval of a second
        passed looks at its partitions' lag first: if one is behind, this is the moment the
        catch-up is known, the catch-up interval starts now and no checkpoint is taken yet.
        (Before, the lag was found only by a checkpoint: a replay took one a second after its
        start - the group join included, so at its first records - and encoded every order it
        had read by then, only to encode them all again at the next one.) The offsets and state
        it would have saved are saved by the next checkpoint; a restart before it replays them."""
        waited_s = time.monotonic() - self._checkpointed_at
        if self.catching_up:
            return waited_s >= self._catch_up_interval_s
        if waited_s < self._interval_s:
            return False
        if self._lagging():
            self.catching_up = True
            self._checkpointed_at = time.monotonic()
            return False
        return True

    def _lagging(self) -> bool:
        """Some partition is catching up (as `checkpoint` judges it)."""
        now_ms = self._clock_ms()
        return any(not caught_up(self.watermark_ms(partition, now_ms), now_ms) for partition in self.engines)

    def _pace_full_collections(self) -> None:
        """While catching up a backlog the state grows fast: no full GC pass walks it until the
        stream is caught up (full_collections.py); `run` gives the thresholds back when it ends."""
        if self.catching_up:
            full_collections.defer(self)
        else:
            full_collections.resume(self)

    async def _read_rebuilt_partitions_again(self, batch: dict) -> None:
        """A topic-partition whose anchor record is gone was rebuilt (the embedded broker restarted
        empty while this stream kept its positions): a topic reset, read again from its beginning."""
        self._anchors.read(batch)
        for tp in self._anchors.rebuilt(self.consumer.assignment() - self._unrestored):
            self.topic_reset(tp, "a record read before is gone from the log, or another one is in its place")
            batch.pop(tp, None)
            await self.consumer.seek_to_beginning(tp)

    def _caught_up(self) -> bool:
        consumer = self.consumer
        assignment = consumer.assignment()
        if not assignment or self._unrestored:
            return False
        for tp in assignment:
            high = consumer.highwater(tp)
            if high is None or (high > 0 and self._read_pos.get(tp, 0) < high):
                return False
        return True

    def watermark_ms(self, partition: int, now_ms: int) -> int | None:
        """The event-time watermark of one partition: the slowest of its topic-partitions still
        lagging (event time of its last record read); one read to its end counts as the wall
        clock. None (hold the clock) while a lagging topic-partition has not returned a record yet."""
        consumer = self.consumer
        assigned = consumer.assignment() if consumer is not None else set()
        lowest = now_ms
        for topic in self.topics:
            tp = TopicPartition(topic, partition)
            if consumer is not None and tp not in assigned:
                # no such partition for this replica: the topic has fewer partitions (a broker that
                # came back empty made it with its own default count) or a rebalance is moving it.
                # aiokafka's highwater() asserts on it, which failed every checkpoint from then on.
                continue
            high = consumer.highwater(tp) if consumer is not None else None
            if high is not None and self._read_pos.get(tp, 0) >= high:
                continue
            event_ms = self._event_ms.get(tp)
            if event_ms is None:
                return None
            lowest = min(lowest, event_ms)
        return lowest

    # --- checkpoints -------------------------------------------------------------------------
    def _take_delta(self, partition: int, engine: KpiEngine, watermark: int | None, flush: bool) -> CheckpointDelta:
        """One partition's part of a checkpoint: its clock advanced, its delta drained (merged with
        the one a failed checkpoint left), its observations collected."""
        if watermark is not None:
            # caught up: settled orders leave memory once quiet (KpiEngine.advance, spill)
            engine.advance(watermark, flush=flush, spill=flush)
        # the orders are encoded as the store writes them, a chunk at a time (DeferredOrders)
        delta = engine.dirty_snapshot(serialize=orjson.dumps, flush=flush, deferred=True)
        older = self._unsaved.pop(partition, None)
        self._observations += engine.drain_observations()
        return delta if older is None else merge_deltas(older, delta)

    async def _checkpoint_or_hold(self) -> dict:
        try:
            saved = await self.checkpoint()
        except Fenced:
            raise
        except Exception as error:
            self.back_off("checkpoint", error)
            return {}
        if self._holding:
            self._holding = False
            resumable = self.consumer.assignment() - self._unrestored
            if resumable:
                self.consumer.resume(*resumable)
        self._backoff_s = 0.0
        self.health.ok("checkpoint", "stream")
        return saved

    async def checkpoint(self) -> dict[TopicPartition, StoredOffset]:
        """Advance every engine's clock, then save their deltas and the offsets in one transaction
        (refused if another replica restored a partition since: Fenced). A failed save keeps the
        drained deltas and positions for the next attempt. Returns the offsets saved.
        Each engine is advanced and drained when the store reads its delta (PendingDeltas), so
        PostgreSQL writes one partition's rows while the next is reconciled."""
        now_ms = self._clock_ms()
        takes = {}
        catching_up = False
        for partition, engine in self.engines.items():
            watermark = self.watermark_ms(partition, now_ms)
            # catching up (the clock follows event time): leave reconciling to the next read or
            # to the checkpoint after catching up (docs/kpi-decisions.md, "Catching up")
            flush = caught_up(watermark, now_ms)
            catching_up = catching_up or not flush
            takes[partition] = partial(self._take_delta, partition, engine, watermark, flush)
        deltas = PendingDeltas(takes)
        positions = self._positions
        offsets = {(tp.topic, tp.partition): stored for tp, stored in positions.items()}
        if deltas or offsets:
            self._saving = deltas  # orders leaving memory with it stay answerable until it is written
            try:
                await self.store.save(deltas, offsets, self._epochs)
            except Fenced as error:
                self._fenced = error
                raise
            except Exception:
                # what was drained waits for the next checkpoint; a partition not read yet keeps
                # its changes in its engine (and an older failed delta here)
                self._unsaved = {**self._unsaved, **deltas.taken()}
                raise
            finally:
                self._saving = PendingDeltas({})
            if not deltas.all_taken():  # offsets written without their state: a restore would skip records
                raise RuntimeError("the checkpoint store wrote the offsets without reading every partition's delta")
        self._positions = {}
        # the encoded orders of the deltas are garbage now: their pages go back to the system
        # instead of staying resident between live chunks (orderpulse.memory; ~1 ms)
        deltas = None
        release_free_heap()
        self.checkpoints += 1
        self.catching_up = catching_up
        metrics.record_observations(self._observations)
        self._observations = []
        if time.monotonic() >= self._housekeeping_at:
            self._housekeeping_at = time.monotonic() + 600
            try:
                await self.store.forget_settled(now_ms)
            except Exception as error:  # done again in ten minutes
                log.warning("cannot drop settled orders past their retention", extra={"error": repr(error)})
        if time.monotonic() - self._remote_at >= self._remote_refresh_s:
            self._remote_at = time.monotonic()
            try:
                self.remote = await self.store.buckets_except(self.engines)
            except Exception as error:  # figures of other replicas are best effort
                log.warning("cannot read other replicas' buckets", extra={"error": repr(error)})
        return positions

    async def commit_to_kafka(self, saved: dict[TopicPartition, StoredOffset]) -> None:
        """The offsets just checkpointed, committed to the group too: lag tools see kpi-svc like any consumer."""
        if not saved or self.consumer is None:
            return
        assigned = self.consumer.assignment()
        offsets = {tp: stored.next_offset for tp, stored in saved.items() if tp in assigned}
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except Exception as error:  # a rebalance took the partition; PostgreSQL holds the truth anyway
            log.warning("offset commit to Kafka failed", extra={"error": repr(error)})

    # --- reads -------------------------------------------------------------------------------
    def sources(self) -> list:
        """Every partition's figures: local engines, other replicas' last checkpointed buckets."""
        return [*self.engines.values(), *(rows for p, rows in self.remote.items() if p not in self.engines)]

    async def scorecard(self, order_id: str) -> dict | None:
        """From the local engine holding the order, else from its checkpointed facts (another
        replica's partition): any replica answers for any order still held."""
        for engine in self.engines.values():
            found = engine.scorecard(order_id)
            if found is not None:
                return found
        payload = self._settled_not_written(order_id)
        if payload is None:
            payload = await self.store.order(order_id)
        if not isinstance(payload, list):  # unknown, or a tombstone / labor shift
            return None
        # at this replica's clock, so issue clocks that passed read as passed (as in the engine)
        meta = {"clock_ms": max(engine.clock_ms for engine in self.engines.values())} if self.engines else None
        return KpiEngine.restore(self.rules, {order_id: payload}, {}, meta).scorecard(order_id)

    def _settled_not_written(self, order_id: str) -> list | None:
        """An order that left memory with a checkpoint not written yet (being written, or failed
        and waiting for the next): in neither the engine nor the tables until that commits."""
        for deltas in (self._saving.taken(), self._unsaved):
            for delta in deltas.values():
                held = (delta.settled or {}).get(order_id)
                if held is not None:
                    return orjson.loads(held[0])
        return None

    def open_orders(self) -> int:
        """Orders this replica's engines hold in memory."""
        return sum(engine.open_orders for engine in self.engines.values())

    def freshness_s(self, now_ms: int) -> float | None:
        newest = [e.newest_event_ms for e in self.engines.values() if e.newest_event_ms is not None]
        return None if not newest else max(0.0, (now_ms - max(newest)) / 1000)


def kafka_consumer_factory(settings, topics: tuple[str, ...], group_id: str) -> Callable[[], AIOKafkaConsumer]:
    def build() -> AIOKafkaConsumer:
        return create_consumer(
            settings, group_id=group_id, partition_assignment_strategy=(RangePartitionAssignor,),
            max_poll_records=max(settings.consumer_batch_size, 2000), fetch_max_bytes=52428800,
            max_partition_fetch_bytes=4 * 1048576,
        )

    return build
