"""A consumer that lived through a broker restart without a rebalance must notice that a partition
it reads was rebuilt, even after it has already read the rebuilt partition's records at its old
position (which is how 24 republished order events were skipped in the broker drill)."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from orderpulse.messaging.partition_anchors import REBUILT, PartitionAnchors
from orderpulse.messaging.rebuilt_partitions import fingerprint

ORDERS_3 = TopicPartition("orderpulse.orders", 3)
ORDERS_5 = TopicPartition("orderpulse.orders", 5)


def record(tp: TopicPartition, offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(topic=tp.topic, partition=tp.partition, offset=offset, timestamp=0, timestamp_type=0,
                          key=b"k", value=value, checksum=None, serialized_key_size=1,
                          serialized_value_size=len(value), headers=[])


class FakeBroker:
    """The partitions' logs as value lists; answers like KafkaRecordReader."""

    def __init__(self) -> None:
        self.logs: dict[TopicPartition, list[bytes]] = {}
        self.asked: list[dict[TopicPartition, int]] = []
        self.unreachable = False
        self.retained_from: dict[TopicPartition, int] = {}

    def append(self, tp: TopicPartition, *values: bytes) -> list[ConsumerRecord]:
        log = self.logs.setdefault(tp, [])
        first = len(log)
        log.extend(values)
        return [record(tp, first + i, value) for i, value in enumerate(values)]

    def restart_empty(self) -> None:
        self.logs = {}

    async def fingerprints_at(self, offsets):
        self.asked.append(dict(offsets))
        if self.unreachable:
            raise ConnectionError("broker away")
        found = {}
        for tp, offset in offsets.items():
            log = self.logs.get(tp, [])
            if len(log) <= offset:
                found[tp] = REBUILT
            elif offset >= self.retained_from.get(tp, 0):
                found[tp] = fingerprint(record(tp, offset, log[offset]))
        return found


def anchors_on(broker: FakeBroker) -> PartitionAnchors:
    return PartitionAnchors(broker, interval_s=0.0)


async def test_a_partition_that_keeps_its_records_is_never_found_rebuilt():
    broker = FakeBroker()
    anchors = anchors_on(broker)
    anchors.read({ORDERS_3: broker.append(ORDERS_3, b"a", b"b")})
    assert await anchors.check_now({ORDERS_3}) == []
    anchors.read({ORDERS_3: broker.append(ORDERS_3, b"c")})
    assert await anchors.check_now({ORDERS_3}) == []
    assert broker.asked == [{ORDERS_3: 1}, {ORDERS_3: 1}], "the second check asks for the anchor, not the newest record"
    assert await anchors.check_now({ORDERS_3}) == []
    assert broker.asked[-1] == {ORDERS_3: 2}, "a passed check makes the record read before it the anchor"


async def test_a_rebuilt_partition_is_found_although_its_new_records_were_already_read_past_the_old_position():
    broker = FakeBroker()
    anchors = anchors_on(broker)
    anchors.read({ORDERS_3: broker.append(ORDERS_3, *[b"old-%d" % i for i in range(10)])})
    assert await anchors.check_now({ORDERS_3}) == []  # offset 9 is now the anchor
    broker.restart_empty()
    republished = broker.append(ORDERS_3, *[b"new-%d" % i for i in range(30)])
    anchors.read({ORDERS_3: republished[10:]})  # the consumer went on at its old position, 10
    assert await anchors.check_now({ORDERS_3}) == [ORDERS_3]
    assert broker.asked[-1] == {ORDERS_3: 9}


async def test_a_log_that_now_ends_before_the_anchor_is_rebuilt_too():
    broker = FakeBroker()
    anchors = anchors_on(broker)
    anchors.read({ORDERS_3: broker.append(ORDERS_3, *[b"old-%d" % i for i in range(10)])})
    broker.restart_empty()
    broker.append(ORDERS_3, b"new-0")
    assert await anchors.check_now({ORDERS_3}) == [ORDERS_3], "before any check, the first record read is the anchor"


async def test_before_the_first_check_the_first_record_read_stays_the_anchor():
    broker = FakeBroker()
    anchors = anchors_on(broker)
    anchors.read({ORDERS_3: broker.append(ORDERS_3, *[b"old-%d" % i for i in range(10)])})
    broker.restart_empty()
    anchors.read({ORDERS_3: broker.append(ORDERS_3, *[b"new-%d" % i for i in range(30)])[10:]})
    assert await anchors.check_now({ORDERS_3}) == [ORDERS_3]
    assert broker.asked == [{ORDERS_3: 9}]


async def test_a_found_partition_is_forgotten_then_checked_from_what_is_read_next():
    broker = FakeBroker()
    anchors = anchors_on(broker)
    anchors.read({ORDERS_3: broker.append(ORDERS_3, b"a", b"b")})
    broker.restart_empty()
    reread = broker.append(ORDERS_3, b"x", b"y", b"z")
    assert await anchors.check_now({ORDERS_3}) == [ORDERS_3]
    assert await anchors.check_now({ORDERS_3}) == [] and len(broker.asked) == 1, "nothing read since: nothing to check"
    anchors.read({ORDERS_3: reread})
    assert await anchors.check_now({ORDERS_3}) == []
    assert broker.asked[-1] == {ORDERS_3: 2}


async def test_an_undecided_check_keeps_the_anchor_so_a_later_check_still_finds_the_rebuild():
    broker = FakeBroker()
    anchors = anchors_on(broker)
    anchors.read({ORDERS_3: broker.append(ORDERS_3, *[b"old-%d" % i for i in range(5)])})
    assert await anchors.check_now({ORDERS_3}) == []
    broker.restart_empty()
    anchors.read({ORDERS_3: broker.append(ORDERS_3, *[b"new-%d" % i for i in range(8)])[5:]})
    broker.unreachable = True
    anchors.rebuilt({ORDERS_3})  # starts a check in the background, which fails
    await asyncio.sleep(0.01)
    assert anchors.rebuilt({ORDERS_3}) == [], "a failed check decides nothing"
    broker.unreachable = False
    broker.retained_from[ORDERS_3] = 5  # nor does a record gone to retention
    assert await anchors.check_now({ORDERS_3}) == []
    del broker.retained_from[ORDERS_3]
    assert await anchors.check_now({ORDERS_3}) == [ORDERS_3]
    assert broker.asked[-1] == {ORDERS_3: 4}, "still the anchor from before the restart"


async def test_background_checks_report_only_partitions_still_assigned():
    broker = FakeBroker()
    anchors = anchors_on(broker)
    anchors.read({ORDERS_3: broker.append(ORDERS_3, b"a"), ORDERS_5: broker.append(ORDERS_5, b"b")})
    broker.restart_empty()
    broker.append(ORDERS_3, b"x", b"y")
    broker.append(ORDERS_5, b"x", b"y")
    assert anchors.rebuilt({ORDERS_3, ORDERS_5}) == []  # the check starts
    await asyncio.sleep(0.01)
    assert anchors.rebuilt({ORDERS_3}) == [ORDERS_3], "5 was revoked meanwhile: its new owner checks it"
    await anchors.close()
