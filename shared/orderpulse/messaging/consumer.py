"""The idempotent consumer loop: effects and dedup record in one transaction, then the offset.

For each batch from `getmany`:
1. parse every record; poison ones are set aside for the DLQ;
2. in ONE database transaction: insert every event id into `processed_events` (ON CONFLICT DO
   NOTHING RETURNING tells which are new) and apply each new event's handler; a batch handler
   (`handlers.Batched`) gets every new event of its types at once, after the per-event ones.
   Should one fail, the transaction is rolled back and the batch redone with a savepoint per
   event and bounded retries, in the same order (per-event handlers first, then each batch
   handler's events one by one); a handler that keeps failing sends its record to the DLQ.
   Handlers therefore touch only the database session they are given (anything outside goes
   through the outbox);
3. publish the dead letters, commit the transaction, and only then commit the offsets.

A database outage or a transient error (deadlock, serialization failure, lock timeout) rolls the
whole batch back, seeks to its first offsets and redoes it in a fresh transaction after a
backoff: the consumer pauses rather than losing or dead-lettering good records.

A dead-lettered event's id is not kept in `processed_events`, so redriving it later
(`orderpulse dlq redrive`) applies it.

A batch fetched before a rebalance neither commits nor rewinds offsets afterwards: the new
assignment starts from the group's committed offsets, and a stale commit would move them past
records nobody applied (after the embedded broker restarted empty, the recreated partitions
start again at 0, so a stale offset skips the republished records below it). For a stale commit
that reached the broker before the consumer noticed the rebalance, see `rebuilt_partitions`; for
a partition rebuilt under a consumer that never rebalanced, `partition_anchors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orderpulse.db.errors import is_transient_error, is_unavailable_error
from orderpulse.events.envelope import Envelope
from orderpulse.heap import collections_paused
from orderpulse.messaging.assignments import AssignmentChanges
from orderpulse.messaging.batch_result import BatchResult
from orderpulse.messaging.dead_letters import DeadLetter, DeadLetterQueue, PoisonRecord, parse_record
from orderpulse.messaging.handlers import Batched, BatchHandler, Handler, event_context
from orderpulse.messaging.partition_anchors import PartitionAnchors
from orderpulse.messaging.rebuilt_partitions import CommitLedger
from orderpulse.observability import metrics
from orderpulse.observability.tracing import set_current_traceparent

log = logging.getLogger(__name__)

__all__ = ["Batched", "BatchHandler", "Handler", "IdempotentConsumer"]

# the batch's ids and topics as two JSON arrays of text: one orjson call each, where a text[] had
# asyncpg inspect every element in Python (docs/benchmarks.md). (The inserted ids sent back as one
# JSON array instead of a row each, or the ids already there instead: measured, nothing net gained,
# `conshead` in docs/benchmarks.md.)
_CLAIM_IDS = text(
    "INSERT INTO processed_events (event_id, topic) SELECT * FROM ROWS FROM ("
    "jsonb_array_elements_text(CAST(CAST(:ids AS text) AS jsonb)), "
    "jsonb_array_elements_text(CAST(CAST(:topics AS text) AS jsonb))) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_RELEASE_IDS = text("DELETE FROM processed_events WHERE event_id = ANY(CAST(:ids AS text[]))")
_PURGE = text("DELETE FROM processed_events WHERE processed_at < clock_timestamp() - make_interval(secs => :s)")


FIRST_RETRY_S = 0.2
MAX_RETRY_S = 15.0


class _HandlerFailed(Exception):
    """A handler raised on the fast path: the batch is redone with a savepoint per event."""


class IdempotentConsumer:
    """Runs the handlers over a not-yet-started consumer, which it subscribes with its own rebalance listener."""

    def __init__(
        self,
        *,
        consumer: AIOKafkaConsumer,
        session_factory: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler | Batched],
        dead_letters: DeadLetterQueue,
        service: str,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        dedup_retention_s: int = 14 * 24 * 3600,
        housekeeping_interval_s: float = 300.0,
        anchors: PartitionAnchors | None = None,
    ) -> None:
        self._consumer = consumer
        self._sessions = session_factory
        self._handlers = dict(handlers)
        # batch handlers run in the order they first appear in the table
        self._batch_order = {h: i for i, h in reversed(list(enumerate(self._handlers.values()))) if isinstance(h, Batched)}
        self._dead_letters = dead_letters
        self._service = service
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._dedup_retention_s = dedup_retention_s
        self._housekeeping_interval_s = housekeeping_interval_s
        self._stopping = asyncio.Event()
        self.stopped = asyncio.Event()
        self._lag_reported: set[TopicPartition] = set()
        self._ledger = CommitLedger()
        self._anchors = anchors
        self._assignments = AssignmentChanges(consumer, self._ledger)
        topics = consumer.subscription()
        if topics:
            consumer.subscribe(topics=sorted(topics), listener=self._assignments)

    def stop(self) -> None:
        """Finish the batch in hand, commit it, then leave the group."""
        self._stopping.set()

    async def run(self) -> None:
        backoff_s = FIRST_RETRY_S
        loop = asyncio.get_running_loop()
        next_housekeeping = loop.time() + 5.0
        try:
            while not self._stopping.is_set():
                batch = await self._consumer.getmany(timeout_ms=500)
                fetched_in = self._assignments.count
                await self._read_rebuilt_partitions_again(batch)
                if batch:
                    try:
                        await self.process(batch, fetched_in)
                        backoff_s = FIRST_RETRY_S
                    except Exception as error:
                        if is_unavailable_error(error):
                            log.warning("database unavailable; consumer paused", extra={"error": repr(error)})
                        elif is_transient_error(error):
                            log.warning("transient database error; batch will be redone", extra={"error": repr(error)})
                        else:
                            log.exception("consumer batch failed; it will be retried")
                        self._rewind(batch, fetched_in)
                        await asyncio.sleep(backoff_s)
                        backoff_s = min(backoff_s * 2, MAX_RETRY_S)
                        continue
                await self._update_lag()
                if loop.time() >= next_housekeeping:
                    await self._purge_dedup_records()
                    next_housekeeping = loop.time() + self._housekeeping_interval_s
        finally:
            self._forget_lag(set())
            if self._anchors is not None:
                await self._anchors.close()
            self.stopped.set()

    async def _read_rebuilt_partitions_again(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Partitions found rebuilt below this consumer's position are read again from their
        beginning; what the batch holds of them is dropped (it neither applies nor commits)."""
        rebuilt = self._ledger.rebuilt(batch)
        if self._anchors is not None:
            self._anchors.read(batch)
            assigned = self._consumer.assignment()
            rebuilt += [tp for tp in self._anchors.rebuilt(assigned) if tp not in rebuilt]
            self._anchors.forget(rebuilt)
        for tp in rebuilt:
            batch.pop(tp, None)
            if tp in self._consumer.assignment():
                await self._consumer.seek_to_beginning(tp)

    def _rewind(self, batch: Mapping[TopicPartition, list[ConsumerRecord]], fetched_in: int) -> None:
        """Read the batch again; after a rebalance, the new assignment's own positions stand."""
        if fetched_in != self._assignments.count:
            return
        assigned = self._consumer.assignment()
        for tp, records in batch.items():
            if tp in assigned:
                try:
                    self._consumer.seek(tp, records[0].offset)
                except Exception as error:  # revoked between the two calls: the new owner re-reads it
                    log.warning("could not rewind a partition", extra={"partition": str(tp), "error": repr(error)})

    async def process(self, batch: Mapping[TopicPartition, list[ConsumerRecord]], fetched_in: int | None = None) -> BatchResult:
        """Apply one batch exactly once in effect, then commit its offsets unless a rebalance came
        after the batch was fetched (`fetched_in`: the rebalance count then; None: no check).

        The fast path runs every handler in one transaction without savepoints. Should a handler
        fail, that transaction is rolled back whole and the batch is applied again carefully:
        each handler in its own savepoint with bounded retries, the hopeless ones dead-lettered.
        No garbage collector pass runs inside it (`orderpulse.heap.collections_paused`).
        """
        with collections_paused():  # after `_process`, so its frame has freed the batch's envelopes
            return await self._process(batch, fetched_in)

    async def _process(self, batch: Mapping[TopicPartition, list[ConsumerRecord]], fetched_in: int | None) -> BatchResult:
        poison: list[DeadLetter] = []
        parsed: list[tuple[ConsumerRecord, Envelope]] = []
        for records in batch.values():
            for record in records:
                try:
                    parsed.append((record, parse_record(record)))
                except PoisonRecord as error:
                    poison.append(DeadLetter(record, str(error), attempts=1))
        try:
            result = await self._apply_batch(parsed, poison, careful=False)
        except _HandlerFailed:
            result = await self._apply_batch(parsed, poison, careful=True)
        for (topic, outcome), records in result.outcomes.items():
            metrics.consumer_records_total.labels(self._service, topic, outcome).inc(records)
        if fetched_in is None or fetched_in == self._assignments.count:
            await self._commit_offsets(batch)
        else:
            log.info("a rebalance came while the batch was applied; its offsets are not committed",
                     extra={"records": sum(len(records) for records in batch.values())})
        return result

    async def _apply_batch(
        self, parsed: list[tuple[ConsumerRecord, Envelope]], poison: list[DeadLetter], *, careful: bool
    ) -> BatchResult:
        result = BatchResult(dead_lettered=list(poison))
        failed_ids: list[str] = []
        batched: dict[Batched, list[tuple[ConsumerRecord, Envelope]]] = {}
        async with self._sessions() as session, session.begin():
            fresh = await self._claim(session, parsed)
            for record, envelope in parsed:
                if envelope.id not in fresh:
                    result.count(record.topic, "duplicate")
                    continue
                fresh.discard(envelope.id)
                handler = self._handlers.get(envelope.type)
                if handler is None:
                    result.count(record.topic, "ignored")
                    continue
                if isinstance(handler, Batched):  # after the per-event handlers, on either path
                    batched.setdefault(handler, []).append((record, envelope))
                    continue
                if careful:
                    error = await self._apply(session, handler, envelope)
                else:
                    error = None
                    await self._apply_fast(session, handler, envelope)
                self._settle(result, failed_ids, record, envelope, error)
            for batch_handler, items in sorted(batched.items(), key=lambda item: self._batch_order[item[0]]):
                if careful:  # the same order as the fast path, each event in its own savepoint
                    for record, envelope in items:
                        self._settle(result, failed_ids, record, envelope, await self._apply(session, batch_handler, envelope))
                    continue
                await self._apply_fast_batch(session, batch_handler, [envelope for _, envelope in items])
                result.count_applied(record.topic for record, _ in items)
            if failed_ids:  # not applied, so not recorded: a redrive must apply them
                await session.execute(_RELEASE_IDS, {"ids": failed_ids})
            await self._dead_letters.send(result.dead_lettered)
        for letter in result.dead_lettered:
            result.count(letter.record.topic, "dead_lettered")
        return result

    def _settle(
        self, result: BatchResult, failed_ids: list[str], record: ConsumerRecord, envelope: Envelope, error: str | None
    ) -> None:
        """Count an event applied, or set it aside for the DLQ (its dedup record released)."""
        if error is None:
            result.count(record.topic, "applied")
        else:
            result.dead_lettered.append(DeadLetter(record, error, attempts=self._max_attempts))
            failed_ids.append(envelope.id)

    async def _apply_fast(self, session: AsyncSession, handler: Handler, envelope: Envelope) -> None:
        with event_context(envelope):
            try:
                await handler(session, envelope)
            except Exception as error:
                if is_transient_error(error):
                    raise  # redo the whole batch in a new transaction later, never dead-letter it
                raise _HandlerFailed from error

    async def _apply_fast_batch(self, session: AsyncSession, handler: Batched, envelopes: Sequence[Envelope]) -> None:
        set_current_traceparent(None)  # the handler opens `event_context` per event where it records events
        try:
            await handler.apply(session, envelopes)
        except Exception as error:
            if is_transient_error(error):
                raise
            raise _HandlerFailed from error

    async def _claim(self, session: AsyncSession, parsed: list[tuple[ConsumerRecord, Envelope]]) -> set[str]:
        """The ids of the batch this transaction recorded (not those already there)."""
        if not parsed:
            return set()
        rows = await session.execute(_CLAIM_IDS, {
            "ids": orjson.dumps([envelope.id for _, envelope in parsed]).decode(),
            "topics": orjson.dumps([record.topic for record, _ in parsed]).decode(),
        })
        return {row[0] for row in rows}

    async def _apply(self, session: AsyncSession, handler: Handler, envelope: Envelope) -> str | None:
        """Run the handler in a savepoint; returns the last error after bounded retries, else None."""
        last_error = ""
        for attempt in range(1, self._max_attempts + 1):
            with event_context(envelope):
                try:
                    async with session.begin_nested():
                        await handler(session, envelope)
                    return None
                except Exception as error:
                    if is_transient_error(error):
                        raise
                    last_error = f"{type(error).__name__}: {error}"
                    log.warning(
                        "handler failed", extra={"attempt": attempt, "event_type": envelope.type, "error": last_error}
                    )
            if attempt < self._max_attempts:
                await asyncio.sleep(self._retry_backoff_s * attempt)
        return last_error

    async def _commit_offsets(self, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items() if records}
        try:
            await self._consumer.commit(offsets)
            self._ledger.committed(batch)
        except Exception as error:  # a rebalance took the partition: its new owner re-reads, dedup absorbs it
            log.warning("offset commit failed; records will be redelivered", extra={"error": repr(error)})

    async def _update_lag(self) -> None:
        assigned = set(self._consumer.assignment())
        self._forget_lag(assigned)
        for tp in assigned:
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            position = await self._consumer.position(tp)
            metrics.consumer_lag.labels(self._service, tp.topic, str(tp.partition)).set(max(0, highwater - position))
            self._lag_reported.add(tp)

    def _forget_lag(self, keep: set[TopicPartition]) -> None:
        """Drop the lag series of partitions this replica no longer holds (a rebalance moved them,
        or it stopped): their new owner reports them, and a frozen copy here would double the sum."""
        for tp in self._lag_reported - keep:
            with contextlib.suppress(KeyError):
                metrics.consumer_lag.remove(self._service, tp.topic, str(tp.partition))
        self._lag_reported &= keep

    async def _purge_dedup_records(self) -> None:
        try:
            async with self._sessions() as session, session.begin():
                await session.execute(_PURGE, {"s": self._dedup_retention_s})
        except Exception as error:
            log.warning("dedup purge failed", extra={"error": repr(error)})
