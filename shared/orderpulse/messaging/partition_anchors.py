"""Noticing that a partition was rebuilt under a consumer that never rebalanced.

The embedded broker (Tansu, in memory) restarted empty keeps no group state, yet it answers the
heartbeats, fetches and commits of members it no longer knows. A consumer that lived through the
restart may therefore go on fetching at its old positions. Where the new partition is still
shorter than that position the fetch is out of range and the consumer reads it from its beginning
(`auto_offset_reset="earliest"`); but where the relays have already republished past it, the
consumer reads on from there and never sees the new partition's records before it. The broker
drill caught it so: 24 republished order events below fulfillment-svc's position, never applied.
(`rebuilt_partitions` covers the other way in: a rebalance handing back an offset we committed.)

So the consumer keeps an anchor per partition: the offset and a fingerprint of one record it read.
Every few seconds a side reader fetches each anchor's record again. The same record means the
partition is the one the consumer has been reading; another record, or a log that now ends at or
before the anchor, means it was rebuilt, and the consumer reads it again from its beginning
(dedup absorbs what it applies twice). A record gone to retention, or a check the broker cannot
answer, decides nothing: the anchor stays for the next check.

An anchor must have been read before the last check that passed, never among the records just
read, which may already be the rebuilt partition's. So a check takes the last record read per
partition at its start as the next anchor, and makes it one only once the present anchor held.
A partition's first anchor is the first record read of it (checks may be slower than a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection, Mapping
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from orderpulse.messaging.rebuilt_partitions import fingerprint

log = logging.getLogger(__name__)

Anchor = tuple[int, bytes]  # (offset, fingerprint of the record there)
REBUILT = "rebuilt"  # the log ends at or before the offset: the record there was lost


class RecordReader(Protocol):
    async def fingerprints_at(self, offsets: Mapping[TopicPartition, int]) -> dict[TopicPartition, bytes | str]:
        """Per partition, the fingerprint of the record at the offset, or REBUILT; a partition the
        reader cannot judge (gone to retention, not on the broker, no answer) is left out."""
        ...


class PartitionAnchors:
    """Anchors per partition and the background checks of them (see the module's docstring)."""

    def __init__(self, reader: RecordReader, *, interval_s: float, timeout_s: float = 5.0) -> None:
        self._reader = reader
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self._anchors: dict[TopicPartition, Anchor] = {}
        self._last_read: dict[TopicPartition, Anchor] = {}
        self._check: asyncio.Task | None = None
        self._next_check = time.monotonic() + interval_s

    def read(self, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        """Note the last record read per partition: the next anchor, once a check has passed."""
        for tp, records in batch.items():
            if records:
                self._last_read[tp] = last = (records[-1].offset, fingerprint(records[-1]))
                self._anchors.setdefault(tp, last)

    def forget(self, partitions: Collection[TopicPartition]) -> None:
        for tp in partitions:
            self._anchors.pop(tp, None)
            self._last_read.pop(tp, None)

    def rebuilt(self, assigned: Collection[TopicPartition]) -> list[TopicPartition]:
        """The assigned partitions the last finished check found rebuilt (forgotten here, so the
        caller reads them again from the beginning); starts the next check when one is due."""
        found: list[TopicPartition] = []
        if self._check is not None and self._check.done():
            check, self._check = self._check, None
            if not check.cancelled() and check.exception() is None:
                found = [tp for tp in check.result() if tp in assigned]
                self.forget(check.result())
            elif not check.cancelled():
                log.info("partition check failed; trying again later", extra={"error": repr(check.exception())})
        if self._check is None and time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + self._interval_s
            self._check = asyncio.create_task(self._run_check(set(assigned)), name="partition-anchors")
        return found

    async def check_now(self, assigned: Collection[TopicPartition]) -> list[TopicPartition]:
        """One check, awaited (tests, and a caller that wants the verdict before going on)."""
        found = await self._run_check(set(assigned))
        self.forget(found)
        return [tp for tp in found if tp in assigned]

    async def close(self) -> None:
        if self._check is not None:
            self._check.cancel()
            with contextlib.suppress(BaseException):
                await self._check
            self._check = None

    async def _run_check(self, assigned: set[TopicPartition]) -> list[TopicPartition]:
        candidates = {tp: anchor for tp, anchor in self._last_read.items() if tp in assigned}
        checked = {tp: self._anchors[tp] for tp in candidates}
        if not checked:
            return []
        seen = await asyncio.wait_for(
            self._reader.fingerprints_at({tp: offset for tp, (offset, _) in checked.items()}), self._timeout_s)
        rebuilt = []
        for tp, (offset, print_) in checked.items():
            found = seen.get(tp)
            if found is None:  # undecided: keep the anchor for the next check
                continue
            if found == print_:
                self._anchors[tp] = candidates[tp]
                continue
            why = "the log now ends before it" if found == REBUILT else "another record is there now"
            log.warning("partition rebuilt under the consumer (broker restarted empty?): the record it read at "
                        "offset %d is gone (%s); reading the partition again from its beginning", offset, why,
                        extra={"partition": str(tp), "offset": offset})
            rebuilt.append(tp)
        return rebuilt


class KafkaRecordReader:
    """Reads single records with a short-lived client of its own (no group), so a broker restart
    leaves it nothing stale: every check starts from fresh metadata."""

    def __init__(self, bootstrap: str, *, request_timeout_ms: int = 4_000) -> None:
        self._bootstrap = bootstrap
        self._request_timeout_ms = request_timeout_ms

    async def fingerprints_at(self, offsets: Mapping[TopicPartition, int]) -> dict[TopicPartition, bytes | str]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="none",
            request_timeout_ms=self._request_timeout_ms, max_partition_fetch_bytes=64 * 1024,
        )
        try:  # a check cut short by its timeout may be cancelled in start(): stop() closes it all the same
            await consumer.start()
            present = [tp for tp in offsets if tp.partition in (consumer.partitions_for_topic(tp.topic) or ())]
            if not present:
                return {}
            ends = await consumer.end_offsets(present)
            starts = await consumer.beginning_offsets(present)
            ends.update(await _true_ends(consumer, {tp: ends[tp] for tp in present if 0 < ends[tp] <= offsets[tp]}))
            found: dict[TopicPartition, bytes | str] = {}
            wanted = {}
            for tp in present:
                if ends[tp] <= offsets[tp]:
                    found[tp] = REBUILT
                elif starts[tp] <= offsets[tp]:  # else gone to retention: nothing to compare with
                    wanted[tp] = offsets[tp]
            if wanted:
                consumer.assign(list(wanted))
                for tp, offset in wanted.items():
                    consumer.seek(tp, offset)
                while wanted:
                    for tp, records in (await consumer.getmany(*wanted, timeout_ms=500)).items():
                        offset = wanted.pop(tp)
                        record = next((r for r in records if r.offset >= offset), None)
                        if record is not None and record.offset == offset:  # else compacted away: undecided
                            found[tp] = fingerprint(record)
                        consumer.pause(tp)
            return found
        finally:
            await consumer.stop()


async def _true_ends(consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
    """The log ends of `ends`' partitions as their records show them. Tansu answers a partition's
    end (ListOffsets, latest) as its last batch's first offset + 1, short of the records after it
    in that batch: a consumer's anchor among them looked rebuilt, and the consumer read the whole
    partition again at every check. Reading from the answered end - 1 returns that last batch; its
    last offset + 1 is the end. (Kafka answers the true end; the read then finds its last record.)
    A partition that returns nothing in time keeps the answered end."""
    if not ends:
        return {}
    consumer.assign(list(ends))
    for tp, end in ends.items():
        consumer.seek(tp, end - 1)
    true_ends, waiting = dict(ends), set(ends)
    deadline = time.monotonic() + 1.0
    while waiting and time.monotonic() < deadline:
        for tp, records in (await consumer.getmany(*waiting, timeout_ms=200)).items():
            if records:
                true_ends[tp] = max(true_ends[tp], records[-1].offset + 1)
                waiting.discard(tp)
                consumer.pause(tp)
    return true_ends

