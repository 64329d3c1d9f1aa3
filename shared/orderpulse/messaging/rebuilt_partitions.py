"""Noticing, at a rebalance, that a partition was rebuilt below the offset this consumer committed.

The embedded broker keeps everything in memory: after a restart it is empty, the relays create
the topics again and republish their outbox from offset 0. A consumer that lived through the
restart may have committed an offset of the old partition to the new broker (Tansu accepts a
commit from a member it no longer knows, where Kafka would refuse it); read from there, the new
partition's first records would never be applied.

So the consumer remembers what it last committed per partition: the offset and a fingerprint of
the record before it. When a rebalance hands it a partition whose committed offset is still its
own, it reads from the record before that offset: the same record means the partition is the
one it committed on (that record is a duplicate, and dedup absorbs it); another record, or none
at that offset, means the partition was rebuilt, and it is read again from its beginning (every
record applied before is a duplicate). Kafka commit metadata would carry the fingerprint across
replicas, but Tansu does not keep it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

log = logging.getLogger(__name__)


def fingerprint(record: ConsumerRecord) -> bytes:
    return hashlib.blake2b(record.value or b"", digest_size=16).digest()


class CommitLedger:
    """What this consumer committed last per partition, and the partitions to check after a rebalance."""

    def __init__(self) -> None:
        self._committed: dict[TopicPartition, tuple[int, bytes]] = {}
        self._to_check: dict[TopicPartition, tuple[int, bytes]] = {}

    def committed(self, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        for tp, records in batch.items():
            if records:
                self._committed[tp] = (records[-1].offset + 1, fingerprint(records[-1]))

    def ours(self, tp: TopicPartition, group_offset: int | None) -> int | None:
        """The offset to read from to check `tp`, when the group's offset is the one we committed."""
        mine = self._committed.get(tp)
        if mine is None or group_offset != mine[0] or mine[0] == 0:
            return None
        self._to_check[tp] = mine
        return mine[0] - 1

    def forget_checks(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self._to_check.pop(tp, None)

    def rebuilt(self, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> list[TopicPartition]:
        """Partitions of `batch` that were checked and found rebuilt; every checked one is settled."""
        found = []
        for tp, records in batch.items():
            check = self._to_check.pop(tp, None)
            if check is None or not records:
                if check is not None:
                    self._to_check[tp] = check
                continue
            offset, print_ = check
            first = records[0]
            if first.offset != offset - 1 or fingerprint(first) != print_:
                log.warning("partition rebuilt below our committed offset (broker restarted empty?); "
                            "reading it again from its beginning",
                            extra={"partition": str(tp), "committed": offset, "found_offset": first.offset})
                found.append(tp)
        return found
