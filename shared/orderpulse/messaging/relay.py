"""The outbox relay: publishes committed outbox rows to Kafka, in order per key, never losing one.

One relay per service schema is active at a time (a PostgreSQL advisory lock elects it), so
rows are published in `id` order and, for one key, in the order they were written. The leader
reads rows on the very connection that holds the lock: a relay that lost it can no longer fetch
a batch to publish. It marks them published on a second connection once Kafka acknowledged
them (`relay_marks`), overlapping with the next batches. A crash between publishing and marking
republishes the batch: duplicates are possible, loss is not, and consumers deduplicate by event id.
Its drains start past the ids no transaction can still commit (`relay_start`), not at the first row.

A broker that lost what was published (the embedded, in-memory one restarted) is noticed by a
`BrokerWatch`; the leader then makes the topics again and publishes every retained row anew,
in `id` order. Once that backlog is drained it reads the topics back and publishes again any
retained row the broker does not hold, until it holds them all. The offsets the broker
acknowledged are saved after each drain and given to the watch by the next leader, so a broker
that lost what a predecessor published is noticed too (a service restarted just before the
embedded broker, or the whole stack restarted with a fresh one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orderpulse.db.idempotency import purge_idempotency_keys
from orderpulse.events.envelope import CONTENT_TYPE
from orderpulse.messaging.kafka import OutgoingRecord, Publisher
from orderpulse.messaging.outbox import notify_channel
from orderpulse.messaging.relay_marks import MarkPipeline
from orderpulse.messaging.relay_start import DrainStart
from orderpulse.observability import metrics

log = logging.getLogger(__name__)


class BrokerWatch(Protocol):
    async def lost_records(self) -> bool: ...

    def acknowledged(self) -> Mapping[tuple[str, int], int]:
        """Per (topic, partition), the base offset of the last batch the broker acknowledged."""
        ...

    def remember(self, acknowledged: Mapping[tuple[str, int], int]) -> None:
        """What a predecessor saw acknowledged, to compare the broker with."""
        ...

    async def missing_events(self, retained: Mapping[str, Collection[str]]) -> set[str]: ...

    async def recover(self) -> None: ...


_SELECT_BATCH = (
    "SELECT id, event_id, topic, key, event_type, payload, traceparent, created_at FROM outbox "
    "WHERE published_at IS NULL AND id > $1 ORDER BY id LIMIT $2"
)
_REPUBLISH_RETAINED = "UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL"
_RETAINED_IDS = "SELECT topic, event_id FROM outbox WHERE published_at IS NOT NULL"
_LOAD_OFFSETS = "SELECT topic, partition, base_offset FROM outbox_offsets"
_SAVE_OFFSETS = (
    "INSERT INTO outbox_offsets (topic, partition, base_offset) "
    "SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[]) "
    "ON CONFLICT (topic, partition) DO UPDATE SET base_offset = EXCLUDED.base_offset"
)
_FORGET_OFFSETS = "DELETE FROM outbox_offsets"
_REPUBLISH_EVENTS = "UPDATE outbox SET published_at = NULL WHERE event_id = ANY($1::text[])"
_BACKLOG = text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
_PURGE = text(
    "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < clock_timestamp() - make_interval(secs => :s)"
)
IN_FLIGHT_BATCHES = 4
# the acknowledged offsets saved for the next leader and the backlog gauge, at most this often: two
# statements kept off the path of each drain, which a steady stream runs many times a second (the
# next leader then compares the broker with offsets up to a second old: a broker that lost what
# was published ends at or below those too)
BOOKKEEPING_INTERVAL_S = 1.0
BROKER_RETRY_S = 0.5  # while the broker cannot say whether it lost our records, ask again this often


async def _driver(connection):
    """The asyncpg connection under a SQLAlchemy one (the relay's statements are asyncpg's own)."""
    return (await connection.get_raw_connection()).driver_connection


def _record(row) -> OutgoingRecord:
    payload = row["payload"]
    return OutgoingRecord(
        topic=row["topic"],
        key=row["key"],
        value=payload if type(payload) is bytes else bytes(payload),
        headers=_headers(row["event_type"], row["event_id"], row["traceparent"]),
    )


_CONTENT_TYPE_HEADER = ("content-type", CONTENT_TYPE.encode())


def _headers(event_type: str, event_id: str, traceparent: str | None) -> tuple[tuple[str, bytes], ...]:
    if traceparent:
        return (
            _CONTENT_TYPE_HEADER,
            ("ce_type", event_type.encode()),
            ("ce_id", event_id.encode()),
            ("traceparent", traceparent.encode()),
        )
    return (_CONTENT_TYPE_HEADER, ("ce_type", event_type.encode()), ("ce_id", event_id.encode()))


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        publisher: Publisher,
        schema: str,
        service: str,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        retention_s: int = 7 * 24 * 3600,
        housekeeping_interval_s: float = 300.0,
        broker_watch: BrokerWatch | None = None,
        broker_check_interval_s: float = 10.0,
        idempotency_retention_s: int = 24 * 3600,
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._schema = schema
        self._service = service
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._retention_s = retention_s
        self._housekeeping_interval_s = housekeeping_interval_s
        self._broker_watch = broker_watch
        self._idempotency_retention_s = idempotency_retention_s
        self._broker_check_interval_s = broker_check_interval_s
        self._check_broker_now = False
        self._verify_republished = False
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._start = DrainStart()
        self.active = False

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def drain(self) -> int:
        """Publish until the outbox is empty; returns how many rows were published.

        Batches are fetched and handed to the producer in `id` order on one connection (the next
        batch is read while one is handed over), and marked published on a second one once Kafka
        acknowledged them (`relay_marks`), so fetching and publishing the next batches overlap
        the marking of earlier ones; at most IN_FLIGHT_BATCHES batches wait for their mark. Enqueueing stays sequential, so the order
        per key holds. A failure leaves unacknowledged rows unmarked: they are published again
        on the next drain.
        """
        async with self._engine.connect() as conn, self._engine.connect() as marks:
            return await self._drain_on(await _driver(conn), await _driver(marks))

    async def _drain_on(self, raw, marks, after: int = 0) -> int:
        """One drain on the leader's connections, reading rows with ids past `after` (relay_start)."""
        pipeline = MarkPipeline(marks, self._observe)
        following: asyncio.Future | None = None
        try:
            rows = [] if self._stopping.is_set() else await raw.fetch(_SELECT_BATCH, after, self._batch_size)
            while rows:
                if len(rows) == self._batch_size and not self._stopping.is_set():
                    # the next batch is read while this one is turned into records and handed over
                    following = asyncio.ensure_future(raw.fetch(_SELECT_BATCH, rows[-1]["id"], self._batch_size))
                    await asyncio.sleep(0)  # let it send its query before the CPU work below
                pipeline.add(rows, await self._publisher.enqueue([_record(row) for row in rows]))
                await pipeline.wait_below(IN_FLIGHT_BATCHES)
                rows, following = (await following if following is not None else []), None
            return await pipeline.finish()
        finally:
            if following is not None:  # a failure while the next batch was being read
                following.cancel()
                with contextlib.suppress(BaseException):
                    await following
            await pipeline.close()

    def _observe(self, rows: list) -> None:
        # one observation per batch, of its oldest row: the worst lag in it, at a fraction of the cost
        oldest = min(row["created_at"] for row in rows)
        lag_s = (datetime.now(UTC) - oldest).total_seconds()
        metrics.outbox_publish_lag_seconds.labels(self._service).observe(max(0.0, lag_s))
        metrics.outbox_published_total.labels(self._service).inc(len(rows))

    async def purge_published(self) -> int:
        """Housekeeping of the elected relay: published rows past retention, and old Idempotency-Keys."""
        async with self._engine.begin() as conn:
            result = await conn.execute(_PURGE, {"s": self._retention_s})
            keys = await purge_idempotency_keys(conn, self._idempotency_retention_s)
        if keys:
            log.info("purged idempotency keys", extra={"keys": keys})
        return result.rowcount or 0

    async def backlog(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(_BACKLOG)).scalar_one())

    async def run(self) -> None:
        """Elect, listen, and drain until stopped; reconnects after database or broker failures."""
        while not self._stopping.is_set():
            try:
                await self._run_as_leader()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # database or broker away: wait and try again, never die
                log.warning("outbox relay interrupted, retrying", extra={"error": repr(error)})
                self._check_broker_now = True
                # the whole back-off, even if a notification came before the failure: a relay that
                # lost its lock leaves the next election to the others for two polls (it took the
                # lock straight back about as often as the waiting relay did)
                self._wakeup.clear()
                await self._sleep(min(5.0, self._poll_interval_s * 2))

    async def _run_as_leader(self) -> None:
        async with self._engine.connect() as leader, self._engine.connect() as marking:
            raw, marks = await _driver(leader), await _driver(marking)
            while not await raw.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", f"outbox:{self._schema}"):
                if await self._sleep(self._poll_interval_s):
                    return
            channel = notify_channel(self._schema)
            await raw.add_listener(channel, self._on_notify)
            log.info("outbox relay active", extra={"schema": self._schema})
            self.active = True
            self._start = DrainStart()  # what a predecessor drained past is not known here
            if self._broker_watch is not None:
                self._broker_watch.remember({(row["topic"], row["partition"]): row["base_offset"]
                                             for row in await raw.fetch(_LOAD_OFFSETS)})
                self._check_broker_now = True
            last_housekeeping = last_bookkeeping = 0.0
            last_broker_check = time.monotonic()
            offsets_unsaved = False
            try:
                while not self._stopping.is_set():
                    self._wakeup.clear()
                    if self._check_broker_now or time.monotonic() - last_broker_check > self._broker_check_interval_s:
                        last_broker_check = time.monotonic()
                        await self._republish_if_broker_lost_records(raw)
                    if self._check_broker_now:
                        # the broker could not be asked whether it lost what was published: publish
                        # nothing until it can be (a produce request with metadata from before a
                        # restart makes a topic again with the broker's own partition count)
                        await asyncio.sleep(BROKER_RETRY_S)
                        continue
                    if await self._drain_on(raw, marks, self._start.after):
                        offsets_unsaved = True
                    if not self._stopping.is_set():  # a drain cut short by a stop did not read everything
                        self._start.drained()
                    if self._verify_republished or time.monotonic() - last_bookkeeping >= BOOKKEEPING_INTERVAL_S:
                        last_bookkeeping = time.monotonic()
                        if offsets_unsaved:
                            await self._save_offsets(raw)
                            offsets_unsaved = False
                        await self._start.look(raw)
                        backlog = await self.backlog()
                        metrics.outbox_backlog.labels(self._service).set(backlog)
                        if self._verify_republished and backlog == 0:
                            await self._republish_what_the_broker_lacks(raw)
                    if time.monotonic() - last_housekeeping > self._housekeeping_interval_s:
                        purged = await self.purge_published()
                        if purged:
                            log.info("purged published outbox rows", extra={"rows": purged})
                        last_housekeeping = time.monotonic()
                    if raw.is_closed():
                        raise ConnectionError("leader connection lost")
                    await self._sleep(self._poll_interval_s)
            finally:
                self.active = False
                if not raw.is_closed():
                    await raw.remove_listener(channel, self._on_notify)
                    await raw.execute("SELECT pg_advisory_unlock_all()")

    async def _republish_if_broker_lost_records(self, raw) -> None:
        if self._broker_watch is None:
            self._check_broker_now = False
            return
        try:
            lost = await self._broker_watch.lost_records()
        except Exception as error:  # the broker cannot be asked now: ask again on the next round
            self._check_broker_now = True
            log.info("broker check failed; will retry", extra={"error": repr(error)})
            return
        self._check_broker_now = False
        if lost:
            await self._broker_watch.recover()
            await raw.execute(_FORGET_OFFSETS)
            status = await raw.execute(_REPUBLISH_RETAINED)
            self._start.forget()
            self._verify_republished = True
            log.warning("the broker lost published records; republishing the retained outbox rows",
                        extra={"schema": self._schema, "rows": int(status.split()[-1])})

    async def _save_offsets(self, raw) -> None:
        if self._broker_watch is None:
            return
        offsets = self._broker_watch.acknowledged()
        if offsets:
            await raw.execute(_SAVE_OFFSETS, [topic for topic, _ in offsets], [partition for _, partition in offsets],
                              list(offsets.values()))

    async def _republish_what_the_broker_lacks(self, raw) -> None:
        """After a republish: read the topics back; rows still missing are published again."""
        assert self._broker_watch is not None
        retained: dict[str, list[str]] = {}
        for row in await raw.fetch(_RETAINED_IDS):
            retained.setdefault(row["topic"], []).append(row["event_id"])
        missing = await self._broker_watch.missing_events(retained)
        if missing:
            await raw.execute(_REPUBLISH_EVENTS, list(missing))
            self._start.forget()
            log.warning("the broker does not hold some republished records; publishing them again",
                        extra={"schema": self._schema, "rows": len(missing)})
            self._wakeup.set()
        else:
            self._verify_republished = False
            log.info("the broker holds every retained outbox row again", extra={"schema": self._schema})

    def _on_notify(self, *_args) -> None:
        self._wakeup.set()

    async def _sleep(self, seconds: float) -> bool:
        """Wait for a notification, a stop or the timeout; True when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        return self._stopping.is_set()
