"""The commit ledger: a partition whose group offset is still ours is checked at the record before
it after a rebalance; a different record there (the broker restarted empty and the partition was
rebuilt) sends the consumer back to the partition's beginning."""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from orderpulse.messaging.rebuilt_partitions import CommitLedger

TP = TopicPartition("orderpulse.orders", 1)
OTHER = TopicPartition("orderpulse.orders", 2)


def record(offset: int, value: bytes, tp: TopicPartition = TP) -> ConsumerRecord:
    return ConsumerRecord(topic=tp.topic, partition=tp.partition, offset=offset, timestamp=0, timestamp_type=0,
                          key=b"k", value=value, checksum=None, serialized_key_size=1,
                          serialized_value_size=len(value), headers=[])


def ledger_after_commit() -> CommitLedger:
    ledger = CommitLedger()
    ledger.committed({TP: [record(298, b"event-a"), record(299, b"event-b")], OTHER: []})
    return ledger


def test_a_partition_whose_group_offset_is_ours_is_read_again_from_the_last_committed_record():
    assert ledger_after_commit().ours(TP, 300) == 299


def test_a_group_offset_someone_else_committed_or_none_is_trusted():
    ledger = ledger_after_commit()
    assert ledger.ours(TP, 420) is None
    assert ledger.ours(TP, None) is None
    assert ledger.ours(OTHER, 17) is None


def test_the_same_record_at_the_committed_offset_means_the_partition_is_intact():
    ledger = ledger_after_commit()
    ledger.ours(TP, 300)
    assert ledger.rebuilt({TP: [record(299, b"event-b"), record(300, b"event-c")]}) == []
    assert ledger.rebuilt({TP: [record(0, b"anything")]}) == [], "a settled check is not repeated"


def test_another_record_at_that_offset_means_the_partition_was_rebuilt():
    ledger = ledger_after_commit()
    ledger.ours(TP, 300)
    assert ledger.rebuilt({TP: [record(299, b"republished-x")]}) == [TP]


def test_a_partition_too_short_for_the_offset_is_read_from_its_start_and_found_rebuilt():
    ledger = ledger_after_commit()
    ledger.ours(TP, 300)  # the new partition had fewer records: the reset policy started it at 0
    assert ledger.rebuilt({TP: [record(0, b"event-a")]}) == [TP]


def test_the_check_waits_for_the_partitions_first_records_and_ends_with_a_revoke():
    ledger = ledger_after_commit()
    ledger.ours(TP, 300)
    assert ledger.rebuilt({OTHER: [record(5, b"x", OTHER)]}) == []
    assert ledger.rebuilt({TP: []}) == []
    assert ledger.rebuilt({TP: [record(12, b"y")]}) == [TP], "still checked once its records come"
    ledger.ours(TP, 300)
    ledger.forget_checks([TP])
    assert ledger.rebuilt({TP: [record(12, b"y")]}) == []
