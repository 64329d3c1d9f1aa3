"""The stream's checkpoints with a fake store: a failed save keeps everything it drained (deltas
and offsets) for the next one, also when it failed during a revocation; a fenced save stops it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
import pytest
from aiokafka import TopicPartition
from kpi_events import MONDAY, OrderStory
from kpi_svc.adapters.checkpoint_store import Fenced, StoredOffset
from kpi_svc.domain import KpiEngine, KpiRules, merge_deltas
from kpi_svc.domain.checkpoint import CheckpointDelta
from kpi_svc.entrypoints.stream import KpiStream

ORDERS = "orderpulse.orders"


class FlakyStore:
    """Keeps what was saved like the real tables; fails the saves it is told to."""

    def __init__(self) -> None:
        self.orders: dict[int, dict] = {}
        self.offsets: dict[tuple[str, int], StoredOffset] = {}
        self.failures = 0
        self.fenced = False

    async def save(self, deltas, offsets, epochs) -> None:
        if self.fenced:
            raise Fenced(deltas)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database unavailable")
        for p, delta in deltas.items():
            rows = self.orders.setdefault(p, {})
            rows.update({k: orjson.loads(v) for k, v in delta.orders.items()})
            for k in delta.removed_orders:
                rows.pop(k, None)
        self.offsets.update(offsets)

    async def buckets_except(self, partitions):
        return {}

    async def forget_settled(self, now_ms: int) -> int:
        return 0


def stream_with(store: FlakyStore) -> KpiStream:
    return KpiStream(store=store, rules=KpiRules(), consumer_factory=None, topics=(ORDERS,), dead_letters=None)


def applied(stream: KpiStream, partition: int, order_id: str, offset: int) -> None:
    stream.engines.setdefault(partition, KpiEngine(stream.rules))
    placed = OrderStory(order_id, MONDAY).placed()
    stream.engines[partition].apply(placed)
    stream._positions[TopicPartition(ORDERS, partition)] = StoredOffset(offset + 1, placed["id"])


async def test_a_failed_checkpoint_keeps_its_changes_and_offsets_for_the_next_one():
    store = FlakyStore()
    stream = stream_with(store)
    applied(stream, 0, "ord-1", 0)
    store.failures = 1
    with pytest.raises(ConnectionError):
        await stream.checkpoint()
    applied(stream, 0, "ord-2", 1)
    await stream.checkpoint()
    assert set(store.orders[0]) == {"ord-1", "ord-2"}
    assert store.offsets[(ORDERS, 0)].next_offset == 2


async def test_a_checkpoint_failing_during_revocation_keeps_the_changes_of_the_partitions_kept():
    store = FlakyStore()
    stream = stream_with(store)
    applied(stream, 0, "ord-gone", 0)
    applied(stream, 1, "ord-kept", 0)
    store.failures = 1
    await stream.revoke({TopicPartition(ORDERS, 0)})  # the failure is reported, not raised
    assert "checkpoint failing" in stream.health.reason()
    await stream.checkpoint()
    assert store.orders == {1: {"ord-kept": store.orders[1]["ord-kept"]}}  # the revoked partition's new owner replays it
    assert list(store.offsets) == [(ORDERS, 1)]


async def test_a_fenced_checkpoint_stops_the_stream():
    store = FlakyStore()
    stream = stream_with(store)
    applied(stream, 0, "ord-1", 0)
    store.fenced = True
    with pytest.raises(Fenced):
        await stream.checkpoint()
    assert stream._fenced is not None  # the loop raises it: the stream restarts from the checkpoint


def test_merged_deltas_have_the_effect_of_writing_both_in_turn():
    older = CheckpointDelta({"a": 1, "b": 1}, ["c", "d"], {"f1": 1}, ["f2"], {"clock_ms": 1})
    newer = CheckpointDelta({"c": 2, "a": 2}, ["b"], {"f2": 2}, ["f1"], {"clock_ms": 2})
    merged = merge_deltas(older, newer)
    assert merged == CheckpointDelta({"a": 2, "c": 2}, ["b", "d"], {"f2": 2}, ["f1"], {"clock_ms": 2})


class ConsumerWithout:
    """An aiokafka consumer's assignment and highwater(), which asserts on a partition not assigned."""

    def __init__(self, assigned: set[TopicPartition]) -> None:
        self.assigned = assigned

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def highwater(self, tp: TopicPartition) -> int:
        assert tp in self.assigned, "Partition is not assigned"
        return 1


async def test_a_topic_with_fewer_partitions_does_not_fail_every_checkpoint():
    """Seen in the kill drill: after the broker came back empty, a topic made with the broker's
    default partition count had no partition 5; every checkpoint then failed on highwater()."""
    store = FlakyStore()
    stream = KpiStream(store=store, rules=KpiRules(), consumer_factory=None, topics=(ORDERS, "orderpulse.notifications"),
                       dead_letters=None)
    stream.consumer = ConsumerWithout({TopicPartition(ORDERS, 5)})
    applied(stream, 5, "ord-1", 0)
    stream._read_pos[TopicPartition(ORDERS, 5)] = 1
    await stream.checkpoint()
    assert set(store.orders[5]) == {"ord-1"}


class AnchorsFinding:
    """Partition anchors (a fake of the port) that find the given topic-partitions rebuilt once."""

    def __init__(self, rebuilt: list[TopicPartition]) -> None:
        self._rebuilt = rebuilt
        self.read_batches: list[dict] = []
        self.forgotten: list[TopicPartition] = []

    def read(self, batch) -> None:
        self.read_batches.append(dict(batch))

    def rebuilt(self, assigned) -> list[TopicPartition]:
        found, self._rebuilt = [tp for tp in self._rebuilt if tp in assigned], []
        return found

    def forget(self, partitions) -> None:
        self.forgotten += list(partitions)


class SeekingConsumer(ConsumerWithout):
    def __init__(self, assigned: set[TopicPartition]) -> None:
        super().__init__(assigned)
        self.to_beginning: list[TopicPartition] = []

    async def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        self.to_beginning += partitions


async def test_a_topic_rebuilt_under_the_stream_is_read_from_its_beginning_and_no_checkpoint_keeps_the_old_position():
    """The stream read the new log at its old position (the broker restarted empty, no rebalance):
    once the anchors find it, the records in hand are dropped, the partition is read from its
    beginning, and a checkpoint before that stores offset 0, never the position past the skipped records."""
    store = FlakyStore()
    rebuilt, kept = TopicPartition(ORDERS, 0), TopicPartition(ORDERS, 1)
    anchors = AnchorsFinding([rebuilt])
    stream = KpiStream(store=store, rules=KpiRules(), consumer_factory=None, topics=(ORDERS,), dead_letters=None,
                       anchors=anchors)
    stream.consumer = SeekingConsumer({rebuilt, kept})
    applied(stream, 0, "ord-read-at-the-old-position", 731)
    applied(stream, 1, "ord-kept", 4)
    batch = {rebuilt: ["a record of the new log"], kept: ["a record"]}
    await stream._read_rebuilt_partitions_again(batch)  # noqa: SLF001
    assert list(batch) == [kept] and stream.consumer.to_beginning == [rebuilt]
    assert anchors.forgotten == [rebuilt] and len(anchors.read_batches) == 1
    await stream.checkpoint()
    assert store.offsets[(ORDERS, 0)] == StoredOffset(0, None)
    assert store.offsets[(ORDERS, 1)].next_offset == 5


class SlowStore(FlakyStore):
    """Holds every save until released; until then its tables know nothing of what it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.saving = asyncio.Event()
        self.release = asyncio.Event()

    async def save(self, deltas, offsets, epochs) -> None:
        dict(deltas)  # the deltas read (as CheckpointStore's first statement does), then written slowly
        self.saving.set()
        await self.release.wait()
        await super().save(deltas, offsets, epochs)

    async def order(self, order_id: str):
        return None


async def test_a_settled_order_is_answered_while_the_checkpoint_taking_it_out_of_memory_is_written():
    store = SlowStore()
    stream = stream_with(store)
    engine = stream.engines.setdefault(0, KpiEngine(stream.rules))
    for event in OrderStory("ord-1", MONDAY).happy_path():
        engine.apply(event)
    engine.advance(MONDAY + timedelta(days=20), spill=True)  # delivered long ago: it leaves memory
    assert engine.peek_order("ord-1") is None
    writing = asyncio.create_task(stream.checkpoint())
    await store.saving.wait()
    card = await stream.scorecard("ord-1")
    assert card is not None and card["order_id"] == "ord-1"
    store.release.set()
    await writing
    assert await stream.scorecard("ord-1") is None  # written now: the (fake) tables answer for it
