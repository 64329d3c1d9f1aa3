"""Taking and giving back partitions (the rebalance side of KpiStream), as a mixin.

On assignment every new topic-partition is paused at once, then its partition's engine is restored
from PostgreSQL under a new owner epoch (which fences any earlier owner's checkpoints) and it
seeks to its stored offset. A restore that fails (PostgreSQL away) is not swallowed: the
partitions stay paused, the stream reports `restore` failing, and the loop retries with backoff
until it works; no record of a partition is applied, or skipped, before its restore.

Topic resets: a log that ends before the stored offset (the fetch is out of range, the consumer
starts again at the earliest record, and the high-water mark is below the stored position), or a
record before the stored offset whose event id is not the one stored with it (stream.py), or an
anchor record read earlier that is gone from the log while the stream kept its positions
(`orderpulse.messaging.partition_anchors`), means the topic was recreated (e.g. the embedded
broker restarted empty while PostgreSQL kept the offsets). The topic-partition is then read again from
its beginning and the state is kept: events counted before are recognised by id (duplicates, or
ignored for evicted orders), so what the relays republish counts once and new events count.
"""

from __future__ import annotations

import contextlib
import logging
import time

from aiokafka import ConsumerRebalanceListener, TopicPartition
from orderpulse.observability import metrics as platform_metrics

from kpi_svc.adapters.checkpoint_store import Fenced, StoredOffset
from kpi_svc.domain import KpiEngine
from kpi_svc.entrypoints import metrics

log = logging.getLogger(__name__)


class PartitionOwnership:
    """Mixin of KpiStream: needs its consumer, store, rules, engines and position maps."""

    async def assign(self, assigned: set[TopicPartition]) -> None:
        if assigned:
            self.consumer.pause(*assigned)  # nothing is read before the partition is restored
        async with self._lock:
            self._unrestored |= assigned
            await self.restore_pending()
            self.health.started()

    async def restore_pending(self) -> None:
        """Restore what is assigned but not restored yet; on failure keep it paused and retry later."""
        consumer = self.consumer
        pending = self._unrestored & consumer.assignment()
        self._unrestored = pending
        if not pending:
            self.health.ok("restore")
            return
        try:
            for partition in sorted({tp.partition for tp in pending} - set(self.engines)):
                epoch, stored = await self.store.claim(partition)
                self.engines[partition] = KpiEngine.restore(self.rules, stored.orders, stored.buckets, stored.meta)
                self._epochs[partition] = epoch
                self.remote.pop(partition, None)
            offsets = await self.store.offsets((tp.topic, tp.partition) for tp in pending)
        except Exception as error:
            self.back_off("restore", error)
            return
        beginning = []
        for tp in pending:
            stored = offsets.get((tp.topic, tp.partition))
            self._read_pos.pop(tp, None)
            if stored is None:
                beginning.append(tp)
            elif stored.last_event_id is not None and stored.next_offset > 0:
                before = stored.next_offset - 1  # read it again to check it is the record stored with the offset
                consumer.seek(tp, before)
                self._read_pos[tp] = before
                self._verify[tp] = (before, stored.last_event_id)
            else:
                consumer.seek(tp, stored.next_offset)
                self._read_pos[tp] = stored.next_offset
        if beginning:
            await consumer.seek_to_beginning(*beginning)
        self._unrestored = set()
        if not self._holding:
            consumer.resume(*pending)
        self.health.ok("restore")
        self._backoff_s = 0.0

    async def revoke(self, revoked: set[TopicPartition]) -> None:
        saved = {}
        async with self._lock:
            try:
                saved = await self.checkpoint()
            except Fenced as error:
                self._fenced = error
            except Exception as error:  # the new owner restores the last checkpoint and replays from its offsets
                self.health.failing("checkpoint", error)
            for partition in {tp.partition for tp in revoked}:
                self.engines.pop(partition, None)
                self._unsaved.pop(partition, None)
                self._epochs.pop(partition, None)
            for tp in revoked:
                for held in (self._event_ms, self._read_pos, self._positions, self._verify):
                    held.pop(tp, None)
                self._unrestored.discard(tp)
                with contextlib.suppress(KeyError):
                    platform_metrics.consumer_lag.remove(self.service, tp.topic, str(tp.partition))
        await self.commit_to_kafka(saved)

    async def _watch_log_ends(self) -> None:
        """Export the lag of every assigned topic-partition; a log that ends before the position
        read (the broker answers an empty fetch, not out of range) is a topic reset."""
        consumer, lag = self.consumer, platform_metrics.consumer_lag
        for tp in consumer.assignment() - self._unrestored:
            high, position = consumer.highwater(tp), self._read_pos.get(tp)
            if high is None:
                continue
            if position is not None:
                stored = self._verify[tp][0] + 1 if tp in self._verify else position  # the offset checkpointed
                if high < stored:
                    self.topic_reset(tp, f"the log ends at offset {high}, before the stored position {stored}")
                    await consumer.seek_to_beginning(tp)
                    continue
            lag.labels(self.service, tp.topic, str(tp.partition)).set(high - (position or 0))  # nothing read: all of it

    def topic_reset(self, tp: TopicPartition, why: str) -> None:
        log.error(
            "topic reset detected (%s): reading %s[%d] again from its beginning; the state is kept and events "
            "counted before are recognised by id; events older than the outboxes' retention (7 days) that the "
            "new topic lacks stay counted as before, and none are lost",
            why, tp.topic, tp.partition, extra={"topic": tp.topic, "partition": tp.partition, "reason": why},
        )
        metrics.topic_resets.labels(self._label[tp.topic]).inc()
        for held in (self._event_ms, self._read_pos, self._verify):
            held.pop(tp, None)
        # until the new log is read, a checkpoint stores its beginning, not a position of the old one
        self._positions[tp] = StoredOffset(0, None)
        if self._anchors is not None:
            self._anchors.forget([tp])

    def back_off(self, stage: str, error: BaseException) -> None:
        """A failing stage: report it, hold every assigned partition, retry after a growing pause."""
        self._backoff_s = min(max(self._backoff_s * 2, 0.5), self._retry_max_s)
        self._retry_at = time.monotonic() + self._backoff_s
        self.health.failing(stage, error, retry_in_s=self._backoff_s)
        if stage == "checkpoint":
            self._holding = True
        assigned = self.consumer.assignment()
        if assigned:
            self.consumer.pause(*assigned)


class Listener(ConsumerRebalanceListener):
    def __init__(self, stream: PartitionOwnership) -> None:
        self._stream = stream

    async def on_partitions_revoked(self, revoked) -> None:
        await self._stream.revoke(set(revoked))

    async def on_partitions_assigned(self, assigned) -> None:
        await self._stream.assign(set(assigned))
