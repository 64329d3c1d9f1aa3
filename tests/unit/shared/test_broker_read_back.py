"""Reading the topics back after a broker reset: an event counts as held only where it is alone at its
offset (right after a restart Tansu can give two records one offset, and a consumer reading by
offset may see only one of them), so one that shares its offset is published again."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord
from orderpulse.messaging.broker_reset import held_event_ids


def record(partition: int, offset: int, event_id: str, topic: str = "orderpulse.orders") -> ConsumerRecord:
    return ConsumerRecord(topic=topic, partition=partition, offset=offset, timestamp=0, timestamp_type=0,
                          key=b"k", value=b"{}", checksum=None, serialized_key_size=1, serialized_value_size=2,
                          headers=[("content-type", b"application/cloudevents+json"), ("ce_id", event_id.encode())])


def test_events_alone_at_their_offsets_are_held():
    assert held_event_ids([record(0, 0, "a"), record(0, 1, "b"), record(1, 0, "c")]) == {"a", "b", "c"}


def test_two_events_at_one_offset_are_neither_held():
    assert held_event_ids([record(1, 996, "a"), record(1, 996, "b"), record(1, 997, "c")]) == {"c"}


def test_an_event_shadowed_at_one_offset_is_held_by_its_copy_at_an_offset_of_its_own():
    records = [record(1, 996, "a"), record(1, 996, "b"), record(1, 2400, "a")]

    assert held_event_ids(records) == {"a"}


def test_the_same_record_read_twice_is_still_alone_at_its_offset():
    assert held_event_ids([record(2, 5, "a"), record(2, 5, "a")]) == {"a"}


def test_the_same_offset_on_another_partition_or_topic_is_another_place():
    records = [record(0, 7, "a"), record(1, 7, "b"), record(0, 7, "c", topic="orderpulse.customers")]

    assert held_event_ids(records) == {"a", "b", "c"}
